import { uuidToBytes } from '../core/index.js';
import type { CharacteristicInfo, ServiceInfo } from '../central/types.js';
import { GattUuid16, uuid16Bytes } from '../protocol/index.js';

/** One attribute of the peer's database as the emulator rebuilds it from a discovery. */
export type Attribute =
  | { handle: number; kind: 'service'; type: Buffer; value: Buffer; service: ServiceInfo }
  | { handle: number; kind: 'declaration'; type: Buffer; value: Buffer; char: CharacteristicInfo }
  | { handle: number; kind: 'value'; type: Buffer; char: CharacteristicInfo }
  | { handle: number; kind: 'descriptor'; type: Buffer; char: CharacteristicInfo; cccd: boolean };

function propertiesByte(c: CharacteristicInfo): number {
  const p = c.properties;
  return (
    (p.broadcast ? 0x01 : 0) |
    (p.read ? 0x02 : 0) |
    (p.writeWithoutResponse ? 0x04 : 0) |
    (p.write ? 0x08 : 0) |
    (p.notify ? 0x10 : 0) |
    (p.indicate ? 0x20 : 0) |
    (p.authenticatedSignedWrites ? 0x40 : 0) |
    (p.extendedProperties ? 0x80 : 0)
  );
}

/**
 * The attribute table behind a discovered database: what Find Information, Read By Type
 * and Read By Group Type would have walked on the air. BlueZ's D-Bus API hides the GAP and
 * GATT services, so those handles are simply absent.
 */
export function attributeTable(services: ServiceInfo[]): Map<number, Attribute> {
  const t = new Map<number, Attribute>();
  for (const s of services) {
    t.set(s.startHandle, {
      handle: s.startHandle,
      kind: 'service',
      type: uuid16Bytes(s.primary ? GattUuid16.PrimaryService : GattUuid16.SecondaryService),
      value: uuidToBytes(s.uuid),
      service: s,
    });
    for (const c of s.characteristics) {
      const decl = Buffer.alloc(3);
      decl.writeUInt8(propertiesByte(c), 0);
      decl.writeUInt16LE(c.valueHandle, 1);
      t.set(c.handle, {
        handle: c.handle,
        kind: 'declaration',
        type: uuid16Bytes(GattUuid16.Characteristic),
        value: Buffer.concat([decl, uuidToBytes(c.uuid)]),
        char: c,
      });
      t.set(c.valueHandle, {
        handle: c.valueHandle,
        kind: 'value',
        type: uuidToBytes(c.uuid),
        char: c,
      });
      for (const d of c.descriptors) {
        const type = uuidToBytes(d.uuid);
        t.set(d.handle, {
          handle: d.handle,
          kind: 'descriptor',
          type,
          char: c,
          cccd: type.length === 2 && type.readUInt16LE(0) === GattUuid16.Cccd,
        });
      }
    }
  }
  return new Map([...t.entries()].sort((a, b) => a[0] - b[0]));
}

/** Attributes with handles in [start, end], in handle order. */
export function inRange(t: Map<number, Attribute>, start: number, end: number): Attribute[] {
  return [...t.values()].filter((a) => a.handle >= start && a.handle <= end);
}
