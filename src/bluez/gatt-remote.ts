// GattCharacteristic1 and GattDescriptor1 as a client calls them: one function per method of a
// remote device's attribute objects, errors mapped in the 'gatt' context so BlueZ's names come
// back as ATT codes. What a link keeps between calls (sessions, sockets) is in
// gatt-remote-sessions.ts.
import { delay } from '../core/index.js';
import type { PacketSocket } from '../native/seqpacket.js';
import { acquiredSocket } from './acquired-socket.js';
import { IFACE } from './names.js';
import { Variant, type BluezBus } from './session.js';

/** How long an Acquire* call may take before the caller goes the D-Bus way instead. */
export const ACQUIRE_TIMEOUT_MS = 10_000;
/** How long bluetoothd may take to notice a closed Acquire* fd. */
const RELEASE_TIMEOUT_MS = 3_000;
/** Between two looks at NotifyAcquired/WriteAcquired while waiting for a release. */
const RELEASE_POLL_MS = 20;

/** Write Request ('request', answered by the peer) or Write Command ('command'). */
export type WriteType = 'request' | 'command';

/** A socket from AcquireNotify/AcquireWrite and the MTU bluetoothd gave with it. */
export interface Acquired {
  socket: PacketSocket;
  mtu: number | undefined;
}

export async function readCharacteristic(bus: BluezBus, path: string): Promise<Buffer> {
  const [v] = await bus.call(path, IFACE.characteristic, 'ReadValue', 'a{sv}', [{}], 'gatt');
  return v as Buffer;
}

export async function writeCharacteristic(
  bus: BluezBus,
  path: string,
  value: Buffer,
  type: WriteType,
): Promise<void> {
  const opts = { type: new Variant('s', type) };
  await bus.call(path, IFACE.characteristic, 'WriteValue', 'aya{sv}', [value, opts], 'gatt');
}

export async function readDescriptor(bus: BluezBus, path: string): Promise<Buffer> {
  const [v] = await bus.call(path, IFACE.descriptor, 'ReadValue', 'a{sv}', [{}], 'gatt');
  return v as Buffer;
}

export async function writeDescriptor(bus: BluezBus, path: string, value: Buffer): Promise<void> {
  await bus.call(path, IFACE.descriptor, 'WriteValue', 'aya{sv}', [value, {}], 'gatt');
}

/**
 * StartNotify: values then come as PropertiesChanged of Value, which `onValue` gets from the
 * moment of the call (a value may beat the reply). Returns what stops listening; a failed call
 * leaves no listener behind.
 */
export async function startNotify(
  bus: BluezBus,
  path: string,
  onValue: (value: Buffer) => void,
): Promise<() => void> {
  const off = bus.onProperties(path, (iface, changed) => {
    if (iface !== IFACE.characteristic) return;
    const v = changed.Value;
    if (v !== undefined) onValue(v as Buffer);
  });
  try {
    await bus.call(path, IFACE.characteristic, 'StartNotify', '', [], 'gatt');
  } catch (e) {
    off();
    throw e;
  }
  return off;
}

export async function stopNotify(bus: BluezBus, path: string): Promise<void> {
  await bus.call(path, IFACE.characteristic, 'StopNotify', '', [], 'gatt');
}

/** AcquireNotify: every packet on the socket is one value, handed to `onValue` in order. */
export async function acquireNotify(
  bus: BluezBus,
  path: string,
  onValue: (value: Buffer) => void,
): Promise<Acquired> {
  const [fd, mtu] = await acquire(bus, path, 'AcquireNotify');
  const socket = acquiredSocket(fd);
  socket.on('packets', (bufs) => {
    for (const b of bufs) onValue(b);
  });
  return { socket, mtu };
}

/** AcquireWrite: every packet written to the socket goes out as one Write Command. */
export async function acquireWrite(bus: BluezBus, path: string): Promise<Acquired> {
  const [fd, mtu] = await acquire(bus, path, 'AcquireWrite');
  // A write waiting for room longer than this fails, and the caller can go the D-Bus way.
  return { socket: acquiredSocket(fd, { stallTimeoutMs: ACQUIRE_TIMEOUT_MS }), mtu };
}

async function acquire(
  bus: BluezBus,
  path: string,
  method: 'AcquireNotify' | 'AcquireWrite',
): Promise<[number, number | undefined]> {
  const [fd, mtu] = await bus.call(
    path,
    IFACE.characteristic,
    method,
    'a{sv}',
    [{}],
    'gatt',
    ACQUIRE_TIMEOUT_MS,
  );
  return [fd as number, typeof mtu === 'number' ? mtu : undefined];
}

/**
 * Waits (up to a few seconds, and while `worthWaiting()`) until bluetoothd has noticed that an
 * acquired fd was closed, i.e. `prop` ('NotifyAcquired' or 'WriteAcquired') is no longer true:
 * until then it refuses StartNotify ("Notify acquired") and WriteValue ("Write acquired").
 */
export async function acquiredReleased(
  bus: BluezBus,
  path: string,
  prop: 'NotifyAcquired' | 'WriteAcquired',
  worthWaiting: () => boolean,
): Promise<void> {
  const end = Date.now() + RELEASE_TIMEOUT_MS;
  while (Date.now() < end && worthWaiting()) {
    const props = await bus.getAll(path, IFACE.characteristic).catch(() => undefined);
    if (props?.[prop] !== true) return;
    await delay(RELEASE_POLL_MS);
  }
}
