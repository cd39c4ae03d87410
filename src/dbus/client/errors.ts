/**
 * An error reply to a method call. Shaped like dbus-next's DBusError (`type` is the D-Bus error
 * name, `text` its first string argument) because mapDbusError reads exactly those two, and
 * deliberately not a BleError: mapDbusError passes BleErrors through unmapped.
 */
import type { WireMessage } from '../message-codec.js';

export class DbusCallError extends Error {
  override name = 'DbusCallError';
  readonly type: string;
  readonly text: string;

  constructor(
    type: string,
    text: string,
    readonly reply?: WireMessage,
  ) {
    super(text ? `${type}: ${text}` : type);
    this.type = type;
    this.text = text;
  }

  static fromReply(reply: WireMessage): DbusCallError {
    const first = reply.body[0];
    return new DbusCallError(
      reply.errorName ?? 'org.freedesktop.DBus.Error.Failed',
      typeof first === 'string' ? first : '',
      reply,
    );
  }
}
