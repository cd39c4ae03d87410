// What bluetoothd's objects say about a remote device: the GATT tree under its Device1 path
// (services, characteristics, descriptors with their handles) and the advertisement and scan
// result its Device1 properties carry.
import {
  emptyAdvertisingData,
  flagsToProperties,
  isCharacteristicFlag,
  normalizeUuid,
  rssiOrUndefined,
  CharacteristicPropertyBit as Bit,
  type AddressType,
  type AdvertisingData,
} from '../core/index.js';
import type {
  CharacteristicInfo,
  CharacteristicProperties,
  ScanResult,
  ServiceInfo,
} from '../central/types.js';
import { IFACE, unwrapProps, unwrapVariant, type ObjectTree, type Props } from './names.js';

export function parseManagedObjects(body: unknown): ObjectTree {
  const tree: ObjectTree = new Map();
  for (const [path, ifaces] of Object.entries(body as Record<string, Record<string, unknown>>)) {
    const m = new Map<string, Props>();
    for (const [iface, props] of Object.entries(ifaces)) {
      m.set(iface, unwrapProps(props as Record<string, unknown>));
    }
    tree.set(path, m);
  }
  return tree;
}

/**
 * The ATT handle BlueZ encodes in a GATT object path: the last component ends in 4 hex
 * digits ('service0015', 'char001a' = declaration handle, 'desc001c').
 */
export function handleFromPath(path: string): number | undefined {
  const m = /\/(?:service|char|desc)([0-9a-f]{4})$/i.exec(path);
  return m ? parseInt(m[1] as string, 16) : undefined;
}

export function propertiesFromFlags(flags: readonly string[]): CharacteristicProperties {
  const bits = flagsToProperties(flags.filter(isCharacteristicFlag));
  return {
    broadcast: (bits & Bit.Broadcast) !== 0,
    read: (bits & Bit.Read) !== 0,
    writeWithoutResponse: (bits & Bit.WriteWithoutResponse) !== 0,
    write: (bits & Bit.Write) !== 0,
    notify: (bits & Bit.Notify) !== 0,
    indicate: (bits & Bit.Indicate) !== 0,
    authenticatedSignedWrites: (bits & Bit.AuthenticatedSignedWrites) !== 0,
    extendedProperties: (bits & Bit.ExtendedProperties) !== 0,
    reliableWrite: flags.includes('reliable-write'),
    writableAuxiliaries: flags.includes('writable-auxiliaries'),
  };
}

/** The GATT database of one device, with the object paths each handle maps to. */
export interface DeviceGatt {
  services: ServiceInfo[];
  /** Characteristic value handle -> object path. */
  characteristicPaths: Map<number, string>;
  /** Descriptor handle -> object path. */
  descriptorPaths: Map<number, string>;
  /** Largest MTU property seen on a characteristic (BlueZ reports the link's ATT MTU there). */
  mtu: number | undefined;
}

export function buildDeviceGatt(tree: ObjectTree, devPath: string): DeviceGatt {
  const prefix = devPath + '/';
  const services = new Map<string, ServiceInfo>();
  const chars = new Map<string, CharacteristicInfo>();
  const characteristicPaths = new Map<number, string>();
  const descriptorPaths = new Map<number, string>();
  let mtu: number | undefined;
  const paths = [...tree.keys()].filter((p) => p.startsWith(prefix)).sort();
  for (const path of paths) {
    const ifaces = tree.get(path) as Map<string, Props>;
    const handle = handleFromPath(path);
    if (handle === undefined) continue;
    const s = ifaces.get(IFACE.service);
    if (s) {
      services.set(path, {
        uuid: normalizeUuid(String(s.UUID)),
        primary: s.Primary !== false,
        startHandle: handle,
        endHandle: handle,
        includes: [],
        characteristics: [],
      });
      continue;
    }
    const c = ifaces.get(IFACE.characteristic);
    if (c) {
      const svc = services.get(String(c.Service));
      if (!svc) continue;
      const info: CharacteristicInfo = {
        uuid: normalizeUuid(String(c.UUID)),
        handle,
        valueHandle: handle + 1,
        properties: propertiesFromFlags((c.Flags as string[] | undefined) ?? []),
        descriptors: [],
      };
      svc.characteristics.push(info);
      svc.endHandle = Math.max(svc.endHandle, info.valueHandle);
      chars.set(path, info);
      characteristicPaths.set(info.valueHandle, path);
      if (typeof c.MTU === 'number') mtu = Math.max(mtu ?? 0, c.MTU);
      continue;
    }
    const d = ifaces.get(IFACE.descriptor);
    if (d) {
      const owner = chars.get(String(d.Characteristic));
      if (!owner) continue;
      owner.descriptors.push({ uuid: normalizeUuid(String(d.UUID)), handle });
      descriptorPaths.set(handle, path);
      const svcPath = path.slice(0, path.lastIndexOf('/', path.lastIndexOf('/') - 1));
      const svc = services.get(svcPath);
      if (svc) svc.endHandle = Math.max(svc.endHandle, handle);
    }
  }
  // GattService1.Includes names the included services' objects, not the Include declarations.
  for (const [path, svc] of services) {
    const included = (tree.get(path) as Map<string, Props>).get(IFACE.service)?.Includes;
    for (const p of Array.isArray(included) ? included : []) {
      const inc = services.get(String(p));
      if (inc)
        svc.includes.push({
          uuid: inc.uuid,
          startHandle: inc.startHandle,
          endHandle: inc.endHandle,
        });
    }
    svc.includes.sort((a, b) => a.startHandle - b.startHandle);
  }
  const list = [...services.values()].sort((a, b) => a.startHandle - b.startHandle);
  return { services: list, characteristicPaths, descriptorPaths, mtu };
}

function bytesMapEntries(v: unknown): [string, Buffer][] {
  if (!v || typeof v !== 'object') return [];
  return Object.entries(v as Record<string, unknown>).flatMap(([k, raw]) => {
    const val = unwrapVariant(raw);
    return Buffer.isBuffer(val) ? [[k, val] as [string, Buffer]] : [];
  });
}

/**
 * Advertising data rebuilt from a Device1's properties: BlueZ 5.66 parses the reports itself
 * and exposes the raw AD only with --experimental, so this is what the D-Bus backend can offer.
 * UUIDs include any the device advertised earlier (BlueZ accumulates them).
 */
export function advertisementFromDevice(p: Props): AdvertisingData {
  const ad = emptyAdvertisingData();
  if (typeof p.Name === 'string') {
    ad.localName = p.Name;
  }
  if (typeof p.TxPower === 'number') ad.txPower = p.TxPower;
  if (typeof p.Appearance === 'number') ad.appearance = p.Appearance;
  const flags = p.AdvertisingFlags;
  if (Buffer.isBuffer(flags) && flags.length > 0) ad.flags = flags[0];
  if (Array.isArray(p.UUIDs)) {
    for (const u of p.UUIDs as string[]) {
      const n = normalizeUuid(u);
      if (!ad.serviceUuids.includes(n)) ad.serviceUuids.push(n);
    }
  }
  for (const [k, v] of bytesMapEntries(p.ServiceData)) ad.serviceData.set(normalizeUuid(k), v);
  for (const [k, v] of bytesMapEntries(p.ManufacturerData)) ad.manufacturerData.set(Number(k), v);
  return ad;
}

export function scanResultFromDevice(p: Props, now = Date.now()): ScanResult {
  const r: ScanResult = {
    address: String(p.Address).toUpperCase(),
    addressType: (p.AddressType === 'random' ? 'random' : 'public') as AddressType,
    advertisement: advertisementFromDevice(p),
    timestamp: now,
  };
  if (typeof p.Name === 'string') r.name = p.Name;
  const rssi = rssiOrUndefined(typeof p.RSSI === 'number' ? p.RSSI : undefined);
  if (rssi !== undefined) r.rssi = rssi;
  return r;
}
