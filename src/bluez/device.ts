// Device1 as the central calls it: connect, disconnect, pair, its properties, and which service
// objects bluetoothd has registered under it. Removing a device is Adapter1's (adapter.ts);
// following Connected for the peripheral is device-watch.ts.
import { withTimeout } from '../core/index.js';
import { isBluezError } from './errors.js';
import { IFACE, type Props } from './names.js';
import { serviceNodes } from './object-mirror.js';
import type { BluezBus } from './session.js';

/** How long a Pair may take, agent questions included. */
const PAIR_TIMEOUT_MS = 60_000;
/** How long to wait for Connected=false after Disconnect returned. */
const DISCONNECTED_TIMEOUT_MS = 10_000;

export function deviceProps(bus: BluezBus, path: string): Promise<Props> {
  return bus.getAll(path, IFACE.device);
}

/**
 * Connect, without a D-Bus timeout of its own (the caller bounds it): a device that is already
 * connected counts as connected.
 */
export async function connectDevice(bus: BluezBus, path: string): Promise<void> {
  try {
    await bus.call(path, IFACE.device, 'Connect', '', [], 'other', Infinity);
  } catch (e) {
    if (!isBluezError(e, 'AlreadyConnected')) throw e;
  }
}

/** Disconnect; it also cancels a connection attempt bluetoothd still has pending. */
export async function disconnectDevice(bus: BluezBus, path: string): Promise<void> {
  await bus.call(path, IFACE.device, 'Disconnect');
}

/**
 * Resolves once Connected turns false, or after a few seconds: bluetoothd answers Disconnect
 * before the link is down. `what` names the device in the timeout's message.
 */
export async function untilDisconnected(bus: BluezBus, path: string, what: string): Promise<void> {
  await withTimeout(
    new Promise<void>((resolve) => {
      const off = bus.onProperties(path, (iface, changed) => {
        if (iface === IFACE.device && changed.Connected === false) {
          off();
          resolve();
        }
      });
    }),
    DISCONNECTED_TIMEOUT_MS,
    `disconnect from ${what}`,
  ).catch(() => undefined);
}

/**
 * Pairs through whichever agent is registered with bluetoothd; that agent's IO capability
 * decides whether the result is authenticated or not. A device already paired is left as is.
 */
export async function pairDevice(bus: BluezBus, path: string, what: string): Promise<void> {
  const props = await deviceProps(bus, path);
  if (props.Paired === true) return;
  try {
    await withTimeout(
      bus.call(path, IFACE.device, 'Pair', '', [], 'other', Infinity),
      PAIR_TIMEOUT_MS,
      `pairing with ${what}`,
    );
  } catch (e) {
    if (!isBluezError(e, 'AlreadyExists')) throw e;
  }
}

/** The names of the service objects bluetoothd has under the device ('service000a', ...). */
export async function registeredServices(bus: BluezBus, path: string): Promise<string[]> {
  const [xml] = await bus.call(path, IFACE.introspectable, 'Introspect');
  return serviceNodes(String(xml));
}
