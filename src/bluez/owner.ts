// Whether bluetoothd is on the system bus, from the bus daemon's NameOwnerChanged for org.bluez.
// Shared by the central's D-Bus backend and the peripheral: when bluetoothd crashes or is
// restarted, every object, registration and session it held is gone, and each role decides
// what to drop and what to set up again.
import type { DbusClient } from '../dbus/client/index.js';
import { matchRuleText, type MatchRule } from '../dbus/client/signals.js';
import type { WireMessage } from '../dbus/message-codec.js';
import { TimeoutError } from '../core/index.js';
import { getManagedObjects, subscribeSignals } from './calls.js';
import { BLUEZ, IFACE } from './names.js';

const BUS_DAEMON = 'org.freedesktop.DBus';

/** Only org.bluez's owner changes: arg0 keeps every other name's churn off our connection. */
export const BLUEZ_OWNER_MATCH: MatchRule = {
  sender: BUS_DAEMON,
  interface: BUS_DAEMON,
  member: 'NameOwnerChanged',
  arg0: BLUEZ,
};

/** BLUEZ_OWNER_MATCH as AddMatch takes it. */
export const BLUEZ_OWNER_RULE = matchRuleText(BLUEZ_OWNER_MATCH);

/**
 * What a signal says about bluetoothd: true when org.bluez has a (new) owner, false when it
 * left, undefined when the message is not org.bluez's NameOwnerChanged.
 */
export function bluezOwnerChange(m: WireMessage): boolean | undefined {
  if (m.interface !== BUS_DAEMON || m.member !== 'NameOwnerChanged') return undefined;
  const [name, , owner] = m.body as unknown[];
  if (name !== BLUEZ) return undefined;
  return typeof owner === 'string' && owner !== '';
}

/**
 * Calls `onChange` each time bluetoothd leaves (false) or a bluetoothd takes the name (true);
 * resolves once the bus daemon has the rule, to an async remover that drops rule and handler.
 */
export function watchBluezOwner(
  bus: Pick<DbusClient, 'addMatch'>,
  onChange: (running: boolean) => void,
): Promise<() => Promise<void>> {
  return subscribeSignals(bus, BLUEZ_OWNER_MATCH, (m) => {
    const running = bluezOwnerChange(m);
    if (running !== undefined) onChange(running);
  });
}

/** How often adapterBack() asks bluetoothd for its objects. */
const POLL_MS = 100;

/**
 * Resolves to true once bluetoothd has the adapter at `path` with Adapter1 and every interface
 * of `needs` (a bluetoothd that has just taken the name publishes adapters only after reading
 * the controllers from the kernel), to false as soon as `wanted()` turns false. TimeoutError
 * after `timeoutMs`.
 */
export async function adapterBack(
  bus: Pick<DbusClient, 'call'>,
  path: string,
  needs: readonly string[],
  timeoutMs: number,
  wanted: () => boolean = () => true,
): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (!wanted()) return false;
    // Errors are expected while bluetoothd starts (its ObjectManager is not there yet).
    const ifaces = await getManagedObjects(bus)
      .then((objs) => objs[path] ?? {})
      .catch(() => ({}));
    const missing = [IFACE.adapter, ...needs].filter((i) => !(i in ifaces));
    if (missing.length === 0) return wanted();
    if (Date.now() >= end) {
      throw new TimeoutError(
        `bluetoothd came back but ${path} lacks ${missing.join(', ')} after ${timeoutMs} ms`,
      );
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
