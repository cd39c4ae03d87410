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
  answer: (m: WireMessage) => unknown[] | Promise<unknown[]> = () => [];

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
    const body = await this.answer(msg);
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

/**
 * A bluetoothd stand-in with adapter hci1: its adapter can be missing, any method can be made
 * to fail, and `hold` keeps a method's reply back until the returned function is called.
 */
export class FakeBluez extends FakeBus {
  adapterPresent = true;
  fail = new Set<string>();
  private readonly held = new Map<string, Promise<void>>();
  hold(member: string): () => void {
    let release = (): void => undefined;
    this.held.set(member, new Promise<void>((r) => (release = r)));
    return () => {
      this.held.delete(member);
      release();
    };
  }
  constructor() {
    super();
    this.answer = (m: WireMessage) => {
      const held = this.held.get(m.member ?? '');
      if (held) return held.then(() => []);
      if (this.fail.has(m.member ?? '')) {
        throw new DbusError('org.bluez.Error.Failed', `${m.member} refused`);
      }
      if (m.member !== 'GetManagedObjects') return [];
      if (!this.adapterPresent) return [{}];
      return [
        {
          ['/org/bluez/hci1']: {
            'org.bluez.Adapter1': opts({ Address: ['s', '00:AA:01:01:00:01'] }),
            'org.bluez.GattManager1': {},
            'org.bluez.LEAdvertisingManager1': {},
          },
        },
      ];
    };
  }
  owner(from: string, to: string, name = 'org.bluez'): void {
    this.deliver({
      sender: 'org.freedesktop.DBus',
      path: '/org/freedesktop/DBus',
      interface: 'org.freedesktop.DBus',
      member: 'NameOwnerChanged',
      body: [name, from, to],
    });
  }
  /** The members called since `from` (an index into calls). */
  membersSince(from: number): string[] {
    return this.calls.slice(from).map((c) => c.member ?? '');
  }
}
