/** Where the system bus listens: DBUS_SYSTEM_BUS_ADDRESS or the specification's default. */
import { NotSupportedError } from '../../core/errors.js';

export const DEFAULT_SYSTEM_BUS_PATH = '/var/run/dbus/system_bus_socket';

/**
 * The socket path of the first `unix:path=` entry of a D-Bus address list (entries are
 * separated by ';', values use %XX escapes). Other transports (abstract, tcp) are not spoken:
 * a NotSupportedError says so.
 */
export function unixPathFromAddress(address: string): string {
  for (const entry of address.split(';')) {
    const colon = entry.indexOf(':');
    if (colon < 0 || entry.slice(0, colon) !== 'unix') continue;
    for (const kv of entry.slice(colon + 1).split(',')) {
      const eq = kv.indexOf('=');
      if (eq > 0 && kv.slice(0, eq) === 'path') return unescapeValue(kv.slice(eq + 1));
    }
  }
  throw new NotSupportedError(`no unix:path= entry in D-Bus address "${address}"`);
}

export function systemBusPath(env: NodeJS.ProcessEnv = process.env): string {
  const address = env.DBUS_SYSTEM_BUS_ADDRESS;
  return address ? unixPathFromAddress(address) : DEFAULT_SYSTEM_BUS_PATH;
}

function unescapeValue(v: string): string {
  try {
    return decodeURIComponent(v);
  } catch {
    throw new NotSupportedError(`bad %-escape in D-Bus address value "${v}"`);
  }
}
