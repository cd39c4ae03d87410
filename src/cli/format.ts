import type {
  CharacteristicInfo,
  CharacteristicProperties,
  ScanResult,
  ServiceInfo,
} from '../central/index.js';
import { formatHandle, shortUuid, toHex, uuidName } from '../core/index.js';

/** Property names as the Core spec and BlueZ spell them, in declaration-bit order. */
const PROPERTY_NAMES: [keyof CharacteristicProperties, string][] = [
  ['broadcast', 'broadcast'],
  ['read', 'read'],
  ['writeWithoutResponse', 'write-without-response'],
  ['write', 'write'],
  ['notify', 'notify'],
  ['indicate', 'indicate'],
  ['authenticatedSignedWrites', 'authenticated-signed-writes'],
  ['extendedProperties', 'extended-properties'],
  ['reliableWrite', 'reliable-write'],
  ['writableAuxiliaries', 'writable-auxiliaries'],
];

export function propertyList(p: CharacteristicProperties): string[] {
  return PROPERTY_NAMES.filter(([k]) => p[k]).map(([, name]) => name);
}

/** '2a37 Heart Rate Measurement', or the 128-bit UUID alone. */
export function uuidLabel(uuid: string): string {
  const name = uuidName(uuid);
  return name ? `${shortUuid(uuid)} ${name}` : shortUuid(uuid);
}

/** A scan report as one JSON-ready object (bytes as hex). */
export function scanRecord(r: ScanResult): Record<string, unknown> {
  const ad = r.advertisement;
  const rec: Record<string, unknown> = {
    address: r.address,
    addressType: r.addressType,
    name: r.name ?? null,
    rssi: r.rssi ?? null,
  };
  if (ad.txPower !== undefined) rec.txPower = ad.txPower;
  rec.serviceUuids = ad.serviceUuids;
  rec.serviceData = Object.fromEntries([...ad.serviceData].map(([k, v]) => [k, toHex(v)]));
  rec.manufacturerData = Object.fromEntries(
    [...ad.manufacturerData].map(([k, v]) => ['0x' + k.toString(16).padStart(4, '0'), toHex(v)]),
  );
  if (ad.appearance !== undefined) rec.appearance = ad.appearance;
  if (ad.flags !== undefined) rec.flags = ad.flags;
  rec.timestamp = new Date(r.timestamp).toISOString();
  return rec;
}

function characteristicJson(c: CharacteristicInfo): Record<string, unknown> {
  return {
    uuid: c.uuid,
    name: uuidName(c.uuid) ?? null,
    handle: c.handle,
    valueHandle: c.valueHandle,
    properties: propertyList(c.properties),
    descriptors: c.descriptors.map((d) => ({
      uuid: d.uuid,
      name: uuidName(d.uuid) ?? null,
      handle: d.handle,
    })),
  };
}

/** The GATT tree as JSON-ready objects (SIG names where known). */
export function servicesJson(services: readonly ServiceInfo[]): Record<string, unknown>[] {
  return services.map((s) => ({
    uuid: s.uuid,
    name: uuidName(s.uuid) ?? null,
    primary: s.primary,
    startHandle: s.startHandle,
    endHandle: s.endHandle,
    includes: s.includes.map((i) => ({ ...i, name: uuidName(i.uuid) ?? null })),
    characteristics: s.characteristics.map(characteristicJson),
  }));
}

/** The GATT tree as an indented outline with handles, properties and descriptors. */
export function servicesText(services: readonly ServiceInfo[]): string {
  const lines: string[] = [];
  for (const s of services) {
    const range = `${formatHandle(s.startHandle)}-${formatHandle(s.endHandle)}`;
    lines.push(`${range}  ${s.primary ? 'service' : 'secondary service'} ${uuidLabel(s.uuid)}`);
    for (const i of s.includes) {
      const at = i.handle === undefined ? '      ' : formatHandle(i.handle);
      const included = `${formatHandle(i.startHandle)}-${formatHandle(i.endHandle)}`;
      lines.push(`${at}  ·  includes ${included} ${uuidLabel(i.uuid)}`);
    }
    s.characteristics.forEach((c, i) => {
      const lastC = i === s.characteristics.length - 1;
      const props = propertyList(c.properties).join(', ');
      lines.push(
        `${formatHandle(c.valueHandle)}  ${lastC ? '└─' : '├─'} ${uuidLabel(c.uuid)}  [${props}]`,
      );
      c.descriptors.forEach((d, j) => {
        const lastD = j === c.descriptors.length - 1;
        lines.push(
          `${formatHandle(d.handle)}  ${lastC ? '   ' : '│  '}${lastD ? '└─' : '├─'} ${uuidLabel(d.uuid)}`,
        );
      });
    });
  }
  return lines.join('\n');
}
