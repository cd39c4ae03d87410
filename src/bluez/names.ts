// bluetoothd's D-Bus names, written once for both roles, with the property records blekit reads.

/** bluetoothd's bus name. */
export const BLUEZ = 'org.bluez';
/** Where bluetoothd keeps its adapters and devices. */
export const BLUEZ_ROOT = '/org/bluez';

export const IFACE = {
  adapter: 'org.bluez.Adapter1',
  device: 'org.bluez.Device1',
  service: 'org.bluez.GattService1',
  characteristic: 'org.bluez.GattCharacteristic1',
  descriptor: 'org.bluez.GattDescriptor1',
  gattManager: 'org.bluez.GattManager1',
  advertisingManager: 'org.bluez.LEAdvertisingManager1',
  advertisement: 'org.bluez.LEAdvertisement1',
  agentManager: 'org.bluez.AgentManager1',
  agent: 'org.bluez.Agent1',
  props: 'org.freedesktop.DBus.Properties',
  introspectable: 'org.freedesktop.DBus.Introspectable',
  objectManager: 'org.freedesktop.DBus.ObjectManager',
  peer: 'org.freedesktop.DBus.Peer',
} as const;

/** A bluetoothd call takes at most this long: GATT calls end within BlueZ's 30 s ATT timeout. */
export const BLUEZ_CALL_TIMEOUT_MS = 40_000;

/** A bluetoothd method call: object path, interface, member, signature, body. */
export type BluezCall = (
  path: string,
  iface: string,
  member: string,
  signature: string,
  body: unknown[],
) => Promise<unknown[]>;

/** Property values with D-Bus variants already unwrapped. */
export type Props = Record<string, unknown>;
/** path -> interface -> properties, as GetManagedObjects returns them (unwrapped). */
export type ObjectTree = Map<string, Map<string, Props>>;

/** The Adapter1 properties blekit reads (bluetoothd may send any subset in a change). */
export interface Adapter1Props {
  Address?: string;
  AddressType?: string;
  Name?: string;
  Alias?: string;
  Powered?: boolean;
  Discoverable?: boolean;
  DiscoverableTimeout?: number;
  Pairable?: boolean;
  Discovering?: boolean;
}

/** The Device1 properties blekit reads. */
export interface Device1Props {
  Address?: string;
  AddressType?: 'public' | 'random';
  Name?: string;
  Alias?: string;
  Connected?: boolean;
  ServicesResolved?: boolean;
  Paired?: boolean;
  Bonded?: boolean;
  Trusted?: boolean;
  RSSI?: number;
  TxPower?: number;
  UUIDs?: string[];
  Adapter?: string;
}

/** Strips Variant wrappers ({ signature, value }) from a property dictionary. */
export function unwrapProps(raw: Record<string, unknown>): Props {
  const out: Props = {};
  for (const [k, v] of Object.entries(raw)) out[k] = unwrapVariant(v);
  return out;
}

export function unwrapVariant(v: unknown): unknown {
  if (v && typeof v === 'object' && 'signature' in v && 'value' in v) {
    return unwrapVariant((v as { value: unknown }).value);
  }
  return v;
}
