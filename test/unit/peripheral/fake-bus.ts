import { DbusError } from '../../../src/dbus/client/errors.js';
import type { MethodHandler } from '../../../src/dbus/client/index.js';
import type { MatchRule, SignalHandler } from '../../../src/dbus/client/signals.js';
import { Variant } from '../../../src/dbus/client/variant.js';
import {
  MessageType,
  encodeMessage,
  type OutgoingMessage,
  type WireMessage,
} from '../../../src/dbus/message-codec.js';

/**
 * Just enough of blekit's DbusClient to drive ObjectTree and registrations without a daemon.
 * What it sends is encoded as the real client would, so a value that does not marshal fails here
 * the same way.
 */
export class FakeBus {
  readonly sent: WireMessage[] = [];
  readonly calls: WireMessage[] = [];
  private handlers: MethodHandler[] = [];
  private serial = 1;
  /** Answers outgoing calls; return a body, or throw a DbusError for an error reply. */
  answer: (m: WireMessage) => unknown[] = () => [];

  private out(m: Omit<OutgoingMessage, 'serial'>): void {
    encodeMessage({ ...m, serial: this.serial });
    this.sent.push({
      flags: 0,
      serial: this.serial++,
      signature: '',
      body: [],
      ...m,
    } as WireMessage);
  }
  reply(call: WireMessage, signature = '', body: unknown[] = []): void {
    this.out({ type: MessageType.methodReturn, replySerial: call.serial, signature, body });
  }
  replyError(call: WireMessage, errorName: string, text: string): void {
    this.out({
      type: MessageType.error,
      replySerial: call.serial,
      errorName,
      signature: 's',
      body: [text],
    });
  }
  signal(path: string, iface: string, member: string, signature = '', body: unknown[] = []): void {
    this.out({ type: MessageType.signal, path, interface: iface, member, signature, body });
  }
  addMethodHandler(fn: MethodHandler): void {
    this.handlers.push(fn);
  }
  removeMethodHandler(fn: MethodHandler): void {
    this.handlers = this.handlers.filter((h) => h !== fn);
  }
  async call(m: Omit<OutgoingMessage, 'serial'>): Promise<WireMessage> {
    const msg = { flags: 0, serial: this.serial++, signature: '', body: [], ...m } as WireMessage;
    this.calls.push(msg);
    const body = this.answer(msg);
    return { type: MessageType.methodReturn, flags: 0, serial: 0, signature: '', body };
  }
  /** The signal handlers added with addMatch and not removed yet. */
  readonly matches = new Map<SignalHandler, MatchRule>();
  async addMatch(rule: MatchRule, handler: SignalHandler): Promise<() => Promise<void>> {
    this.matches.set(handler, rule);
    return async () => {
      this.matches.delete(handler);
    };
  }
  /** Hands a signal to the handlers whose rule names its member (the rest is theirs to check). */
  deliver(m: Omit<WireMessage, 'type' | 'flags' | 'serial' | 'signature'>): void {
    const msg = { type: MessageType.signal, flags: 0, serial: 0, signature: '', ...m };
    for (const [h, rule] of [...this.matches]) {
      if (rule.member === undefined || rule.member === m.member) h(msg as WireMessage);
    }
  }
  on(): this {
    return this;
  }
  close(): void {}

  /** Delivers a method call to our exported objects and waits for the reply we send. */
  async invoke(
    path: string,
    iface: string,
    member: string,
    signature = '',
    body: unknown[] = [],
  ): Promise<WireMessage> {
    const msg: WireMessage = {
      type: MessageType.methodCall,
      flags: 0,
      serial: this.serial++,
      sender: ':1.99',
      path,
      interface: iface,
      member,
      signature,
      body,
    };
    const before = this.sent.length;
    const handled = this.handlers.some((h) => h(msg));
    if (!handled) throw new Error(`nobody handled ${iface}.${member} at ${path}`);
    for (let i = 0; i < 50; i++) {
      const reply = this.sent.slice(before).find((m) => m.replySerial === msg.serial);
      if (reply) return reply;
      await new Promise((r) => setImmediate(r));
    }
    throw new Error(`no reply to ${member}`);
  }
}

export { DbusError };

export const opts = (o: Record<string, [string, unknown]>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(o).map(([k, [sig, v]]) => [k, new Variant(sig, v)]));
