/**
 * A D-Bus error: a peer's error reply to our call, or one a method handler of ours throws to
 * answer a call with a given error name. `type` is the D-Bus error name (org.bluez.Error.Failed)
 * and `text` its message argument. A BackendError, so it is a BleError wherever it escapes;
 * mapDbusError still looks inside it to give BlueZ's names their specific classes.
 */
import { BackendError } from '../../core/errors.js';
import type { WireMessage } from '../message-codec.js';

export class DbusError extends BackendError {
  readonly type: string;
  readonly text: string;

  constructor(
    type: string,
    text: string,
    readonly reply?: WireMessage,
  ) {
    super(text ? `${type}: ${text}` : type, { backend: 'dbus' });
    this.name = 'DbusError';
    this.type = type;
    this.text = text;
  }

  static fromReply(reply: WireMessage): DbusError {
    const first = reply.body[0];
    return new DbusError(
      reply.errorName ?? 'org.freedesktop.DBus.Error.Failed',
      typeof first === 'string' ? first : '',
      reply,
    );
  }
}
