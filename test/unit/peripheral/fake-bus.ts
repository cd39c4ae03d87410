import dbus from 'dbus-next';
import type { Message as DBusMessage } from 'dbus-next';

const { Message, MessageType } = dbus;

/** Just enough of a MessageBus to drive ObjectTree and registrations without a daemon. */
export class FakeBus {
  readonly sent: DBusMessage[] = [];
  readonly calls: DBusMessage[] = [];
  private handlers: ((m: DBusMessage) => boolean)[] = [];
  private serial = 1;
  /** Answers outgoing calls; return a body, or throw {type,text} for a D-Bus error. */
  answer: (m: DBusMessage) => unknown[] = () => [];

  send(m: DBusMessage): void {
    this.sent.push(m);
  }
  addMethodHandler(fn: (m: DBusMessage) => boolean): void {
    this.handlers.push(fn);
  }
  removeMethodHandler(fn: (m: DBusMessage) => boolean): void {
    this.handlers = this.handlers.filter((h) => h !== fn);
  }
  async call(m: DBusMessage): Promise<DBusMessage> {
    this.calls.push(m);
    const body = this.answer(m);
    return new Message({ type: MessageType.METHOD_RETURN, replySerial: '1', body, signature: '' });
  }

  /** Delivers a method call to our exported objects and waits for the reply we send. */
  async invoke(
    path: string,
    iface: string,
    member: string,
    signature = '',
    body: unknown[] = [],
  ): Promise<DBusMessage> {
    const msg = new Message({
      type: MessageType.METHOD_CALL,
      serial: this.serial++,
      sender: ':1.99',
      path,
      interface: iface,
      member,
      signature,
      body,
    });
    const before = this.sent.length;
    const handled = this.handlers.some((h) => h(msg));
    if (!handled) throw new Error(`nobody handled ${iface}.${member} at ${path}`);
    for (let i = 0; i < 50; i++) {
      const reply = this.sent
        .slice(before)
        .find((m) => String(m.replySerial) === String(msg.serial));
      if (reply) return reply;
      await new Promise((r) => setImmediate(r));
    }
    throw new Error(`no reply to ${member}`);
  }
}

export const opts = (o: Record<string, [string, unknown]>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(o).map(([k, [sig, v]]) => [k, new dbus.Variant(sig, v)]));
