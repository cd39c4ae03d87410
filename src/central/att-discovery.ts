import { uuidFromBytes } from '../core/index.js';
import type { CharacteristicProperties, ServiceInfo } from './types.js';

export function propertiesFromByte(p: number): CharacteristicProperties {
  return {
    broadcast: (p & 0x01) !== 0,
    read: (p & 0x02) !== 0,
    writeWithoutResponse: (p & 0x04) !== 0,
    write: (p & 0x08) !== 0,
    notify: (p & 0x10) !== 0,
    indicate: (p & 0x20) !== 0,
    authenticatedSignedWrites: (p & 0x40) !== 0,
    extendedProperties: (p & 0x80) !== 0,
    reliableWrite: false,
    writableAuxiliaries: false,
  };
}

export interface FoundGroup {
  start: number;
  end: number;
  uuid: Buffer;
  primary: boolean;
}

/** A characteristic declaration read with Read By Type 0x2803: its handle and value. */
export interface FoundDeclaration {
  handle: number;
  value: Buffer;
}

/** Assembles discovery results into services, characteristics and descriptors with handles. */
export function assembleDatabase(
  groups: FoundGroup[],
  declarations: FoundDeclaration[],
  information: Map<number, Buffer>,
): ServiceInfo[] {
  const decls = declarations
    .filter((d) => d.value.length === 5 || d.value.length === 19)
    .sort((a, b) => a.handle - b.handle);
  return [...groups]
    .sort((a, b) => a.start - b.start)
    .map((g) => {
      const mine = decls.filter((d) => d.handle > g.start && d.handle <= g.end);
      return {
        uuid: uuidFromBytes(g.uuid),
        primary: g.primary,
        startHandle: g.start,
        endHandle: g.end,
        characteristics: mine.map((d, i) => {
          const valueHandle = d.value.readUInt16LE(1);
          const last = (mine[i + 1]?.handle ?? g.end + 1) - 1;
          const descriptors: { uuid: string; handle: number }[] = [];
          for (let h = valueHandle + 1; h <= last; h++) {
            const t = information.get(h);
            if (t) descriptors.push({ uuid: uuidFromBytes(t), handle: h });
          }
          return {
            uuid: uuidFromBytes(d.value.subarray(3)),
            handle: d.handle,
            valueHandle,
            properties: propertiesFromByte(d.value[0] as number),
            descriptors,
          };
        }),
      };
    });
}
