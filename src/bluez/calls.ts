// One-off bluetoothd calls on a plain D-Bus connection (the peripheral's, which also exports
// objects): method calls with typed errors, properties, the object tree, signal subscriptions.
import type { DbusClient } from '../dbus/client/index.js';
import { connectBus } from '../dbus/client/index.js';
import { Variant } from '../dbus/client/variant.js';
import type { MatchRule, SignalHandler } from '../dbus/client/signals.js';
import { mapDbusError } from './errors.js';
import { BLUEZ, BLUEZ_CALL_TIMEOUT_MS, IFACE, unwrapProps, type BluezCall } from './names.js';

/** The connection a peripheral runs on: blekit's D-Bus client (tests pass a stand-in). */
export type PeripheralBus = Pick<
  DbusClient,
  | 'call'
  | 'reply'
  | 'replyError'
  | 'signal'
  | 'addMethodHandler'
  | 'removeMethodHandler'
  | 'addMatch'
  | 'on'
  | 'close'
>;

/** The system bus; rejects with a typed BackendError when there is none to connect to. */
export function openSystemBus(): Promise<DbusClient> {
  return connectBus();
}

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
  bus: Pick<DbusClient, 'call'>,
  opts: CallOptions,
): Promise<unknown[]> {
  try {
    const reply = await bus.call(
      {
        destination: opts.destination ?? BLUEZ,
        path: opts.path,
        interface: opts.interface,
        member: opts.member,
        signature: opts.signature ?? '',
        body: opts.body ?? [],
      },
      BLUEZ_CALL_TIMEOUT_MS,
    );
    return reply.body;
  } catch (err) {
    throw mapDbusError(err, `${opts.interface}.${opts.member} on ${opts.path}`);
  }
}

/** callMethod on `bus` in the shape the shared interface modules take. */
export function bluezCall(bus: Pick<DbusClient, 'call'>): BluezCall {
  return (path, iface, member, signature, body) =>
    callMethod(bus, { path, interface: iface, member, signature, body });
}

export async function getProperty(
  bus: Pick<DbusClient, 'call'>,
  path: string,
  iface: string,
  name: string,
): Promise<unknown> {
  const [v] = await callMethod(bus, {
    path,
    interface: IFACE.props,
    member: 'Get',
    signature: 'ss',
    body: [iface, name],
  });
  return (v as { value: unknown }).value;
}

export async function setProperty(
  bus: Pick<DbusClient, 'call'>,
  path: string,
  iface: string,
  name: string,
  signature: string,
  value: unknown,
): Promise<void> {
  await callMethod(bus, {
    path,
    interface: IFACE.props,
    member: 'Set',
    signature: 'ssv',
    body: [iface, name, new Variant(signature, value)],
  });
}

export type ManagedObjects = Record<string, Record<string, Record<string, unknown>>>;

/** BlueZ's object tree with variants unwrapped. */
export async function getManagedObjects(bus: Pick<DbusClient, 'call'>): Promise<ManagedObjects> {
  const [tree] = await callMethod(bus, {
    path: '/',
    interface: IFACE.objectManager,
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

/** Resolves once bluetoothd has handled everything we sent before (messages are in order). */
export async function roundTrip(bus: Pick<DbusClient, 'call'>): Promise<void> {
  await callMethod(bus, { path: '/', interface: IFACE.peer, member: 'Ping' });
}

/** Adds a match rule and routes matching signals to `fn`; returns an async remover. */
export async function subscribeSignals(
  bus: Pick<DbusClient, 'addMatch'>,
  rule: MatchRule,
  fn: SignalHandler,
): Promise<() => Promise<void>> {
  try {
    return await bus.addMatch(rule, fn);
  } catch (err) {
    throw mapDbusError(err, 'AddMatch');
  }
}
