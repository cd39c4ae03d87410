/**
 * Builds the service tree from what gatttool's discovery commands print. gatttool's own
 * output carries no end marker and prints nothing for an empty `characteristics` list, so
 * discovery reads `char-desc` (every attribute, declarations included) to know beforehand
 * whether any characteristic exists.
 */
import { normalizeUuid, uuidToBytes } from '../../core/index.js';
import type { ServiceInfo } from '../../central/types.js';
import { assembleDatabase, GattType, type FoundDeclaration } from '../../central/att-discovery.js';
import type { GatttoolEvent } from './parser.js';

type Primary = Extract<GatttoolEvent, { kind: 'primary' }>;
type Characteristic = Extract<GatttoolEvent, { kind: 'characteristic' }>;
type Descriptor = Extract<GatttoolEvent, { kind: 'descriptor' }>;

const CHARACTERISTIC_DECLARATION = normalizeUuid(GattType.characteristic);

/** True when char-desc listed at least one characteristic declaration. */
export function hasCharacteristics(attributes: readonly Descriptor[]): boolean {
  return attributes.some((a) => normalizeUuid(a.uuid) === CHARACTERISTIC_DECLARATION);
}

/** Services with characteristics (value handles, properties) and descriptors, by handle. */
export function assembleServices(
  primaries: readonly Primary[],
  characteristics: readonly Characteristic[],
  attributes: readonly Descriptor[],
): ServiceInfo[] {
  const declarations: FoundDeclaration[] = characteristics.map((c) => {
    const head = Buffer.alloc(3);
    head.writeUInt8(c.properties, 0);
    head.writeUInt16LE(c.valueHandle, 1);
    return { handle: c.handle, value: Buffer.concat([head, uuidToBytes(c.uuid)]) };
  });
  const information = new Map(attributes.map((a) => [a.handle, uuidToBytes(a.uuid)]));
  return assembleDatabase(
    primaries.map((p) => ({
      start: p.start,
      end: p.end,
      uuid: uuidToBytes(p.uuid),
      primary: true,
    })),
    declarations,
    information,
  );
}
