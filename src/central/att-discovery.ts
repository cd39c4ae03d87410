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
/**
 * An Include declaration (0x2802) as Read By Type returns it: its handle and the included
 * range, with the UUID when the service's UUID is 16-bit (ATT leaves a 128-bit one out; it is
 * then taken from the service found at that range).
 */
export interface FoundInclude {
  handle: number;
  start: number;
  end: number;
  uuid?: string;
}

/** Reads an Include declaration's value: start and end handle, then a 16-bit UUID or nothing. */
export function parseIncludeValue(handle: number, value: Buffer): FoundInclude | undefined {
  if (value.length !== 4 && value.length !== 6) return undefined;
  const start = value.readUInt16LE(0);
  const end = value.readUInt16LE(2);
  const uuid = value.length === 6 ? uuidFromBytes(value.subarray(4)) : undefined;
  return { handle, start, end, ...(uuid ? { uuid } : {}) };
}

export function assembleDatabase(
  groups: FoundGroup[],
  declarations: FoundDeclaration[],
  information: Map<number, Buffer>,
  includes: readonly FoundInclude[] = [],
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
        includes: includes
          .filter((inc) => inc.handle > g.start && inc.handle <= g.end)
          .sort((a, b) => a.handle - b.handle)
          .flatMap((inc) => {
            const target = groups.find((o) => o.start === inc.start);
            const uuid = inc.uuid ?? (target ? uuidFromBytes(target.uuid) : undefined);
            if (uuid === undefined) return [];
            return [{ handle: inc.handle, uuid, startHandle: inc.start, endHandle: inc.end }];
          }),
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
