import dbus from 'dbus-next';
import type { Message as DBusMessage, MessageBus } from 'dbus-next';
import { mapDbusError } from '../../backends/dbus/errors.js';
import { isUnder } from './object-tree.js';

const { Message, MessageType } = dbus;

export const BLUEZ = 'org.bluez';

export { openSystemBus } from '../../dbus/system-bus.js';

export interface CallOptions {
  destination?: string;
  path: string;
  interface: string;
  member: string;
  signature?: string;
  body?: unknown[];
}

/** Calls a method and returns the reply body; D-Bus errors become typed BleErrors. */
export async function callMethod(
  bus: Pick<MessageBus, 'call'>,
  opts: CallOptions,
): Promise<unknown[]> {
  const msg = new Message({
    type: MessageType.METHOD_CALL,
    destination: opts.destination ?? BLUEZ,
    path: opts.path,
    interface: opts.interface,
    member: opts.member,
    signature: opts.signature ?? '',
    body: opts.body ?? [],
  });
  let reply: DBusMessage | null;
  try {
    reply = await bus.call(msg);
  } catch (err) {
    throw mapDbusError(err, `${opts.interface}.${opts.member} on ${opts.path}`);
  }
  return reply?.body ?? [];
}

export async function getProperty(
  bus: Pick<MessageBus, 'call'>,
  path: string,
  iface: string,
  name: string,
): Promise<unknown> {
  const [v] = await callMethod(bus, {
    path,
    interface: 'org.freedesktop.DBus.Properties',
    member: 'Get',
    signature: 'ss',
    body: [iface, name],
  });
  return (v as { value: unknown }).value;
}

export async function setProperty(
  bus: Pick<MessageBus, 'call'>,
  path: string,
  iface: string,
  name: string,
  signature: string,
  value: unknown,
): Promise<void> {
  await callMethod(bus, {
    path,
    interface: 'org.freedesktop.DBus.Properties',
    member: 'Set',
    signature: 'ssv',
    body: [iface, name, new dbus.Variant(signature, value)],
  });
}

export type ManagedObjects = Record<string, Record<string, Record<string, unknown>>>;

/** BlueZ's object tree with variants unwrapped. */
export async function getManagedObjects(bus: Pick<MessageBus, 'call'>): Promise<ManagedObjects> {
  const [tree] = await callMethod(bus, {
    path: '/',
    interface: 'org.freedesktop.DBus.ObjectManager',
    member: 'GetManagedObjects',
  });
  const out: ManagedObjects = {};
  for (const [path, ifaces] of Object.entries(tree as ManagedObjects)) {
    out[path] = {};
    for (const [iface, props] of Object.entries(ifaces)) {
      (out[path] as Record<string, Record<string, unknown>>)[iface] = unwrapProps(props);
    }
  }
  return out;
}

export function unwrapProps(props: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(props)) out[k] = (v as { value: unknown }).value;
  return out;
}

/** Resolves once bluetoothd has handled everything we sent before (messages are in order). */
export async function roundTrip(bus: Pick<MessageBus, 'call'>): Promise<void> {
  await callMethod(bus, { path: '/', interface: 'org.freedesktop.DBus.Peer', member: 'Ping' });
}

/** Adds a match rule and routes matching signals to `fn`; returns an async remover. */
export async function subscribeSignals(
  bus: MessageBus,
  rule: { sender?: string; interface?: string; member?: string; pathNamespace?: string },
  fn: (msg: DBusMessage) => void,
): Promise<() => Promise<void>> {
  const parts = ["type='signal'"];
  if (rule.sender) parts.push(`sender='${rule.sender}'`);
  if (rule.interface) parts.push(`interface='${rule.interface}'`);
  if (rule.member) parts.push(`member='${rule.member}'`);
  if (rule.pathNamespace) parts.push(`path_namespace='${rule.pathNamespace}'`);
  const text = parts.join(',');
  const dbusCall = (member: string): Promise<unknown[]> =>
    callMethod(bus, {
      destination: 'org.freedesktop.DBus',
      path: '/org/freedesktop/DBus',
      interface: 'org.freedesktop.DBus',
      member,
      signature: 's',
      body: [text],
    });
  const listener = (msg: DBusMessage): void => {
    if (msg.type !== MessageType.SIGNAL) return;
    if (rule.interface && msg.interface !== rule.interface) return;
    if (rule.member && msg.member !== rule.member) return;
    if (rule.pathNamespace && !isUnder(msg.path, rule.pathNamespace)) return;
    fn(msg);
  };
  bus.on('message', listener);
  await dbusCall('AddMatch');
  return async () => {
    bus.removeListener('message', listener);
    await dbusCall('RemoveMatch').catch(() => undefined);
  };
}
