/**
 * Builds the service tree from what gatttool's discovery commands print. gatttool's own
 * output carries no end marker and prints nothing for an empty `characteristics` list, so
 * discovery reads `char-desc` (every attribute, declarations included) to know beforehand
 * whether any characteristic exists. gatttool has no command for secondary services
 * (`primary` asks for 0x2800 groups only), so they are found in the same `char-desc` list:
 * each 0x2801 declaration starts one, which runs to the next service declaration.
 */
import { normalizeUuid, uuidToBytes } from '../../core/index.js';
import type { ServiceInfo } from '../../central/types.js';
import { GattUuid16 } from '../../protocol/index.js';
import { assembleDatabase, type FoundDeclaration } from '../../central/att-discovery.js';
import type { GatttoolEvent } from './parser.js';

type Primary = Extract<GatttoolEvent, { kind: 'primary' }>;
type Characteristic = Extract<GatttoolEvent, { kind: 'characteristic' }>;
type Descriptor = Extract<GatttoolEvent, { kind: 'descriptor' }>;

const CHARACTERISTIC_DECLARATION = normalizeUuid(GattUuid16.Characteristic);
const PRIMARY_DECLARATION = normalizeUuid(GattUuid16.PrimaryService);
const SECONDARY_DECLARATION = normalizeUuid(GattUuid16.SecondaryService);

/** A secondary service: its handle range and its UUID as read from its declaration. */
export interface SecondaryService {
  start: number;
  end: number;
  uuid: string;
}

/**
 * Handle ranges of the secondary services char-desc listed: from each 0x2801 declaration to
 * the attribute before the next service declaration (the last one runs to 0xffff, as the
 * last primary service's range does).
 */
export function secondaryRanges(
  attributes: readonly Descriptor[],
): { start: number; end: number }[] {
  const starts = attributes
    .filter((a) => {
      const t = normalizeUuid(a.uuid);
      return t === PRIMARY_DECLARATION || t === SECONDARY_DECLARATION;
    })
    .map((a) => ({ handle: a.handle, secondary: normalizeUuid(a.uuid) === SECONDARY_DECLARATION }))
    .sort((a, b) => a.handle - b.handle);
  return starts.flatMap((s, i) => {
    if (!s.secondary) return [];
    const next = starts[i + 1];
    return [{ start: s.handle, end: next === undefined ? 0xffff : next.handle - 1 }];
  });
}

/** True when char-desc listed at least one characteristic declaration. */
export function hasCharacteristics(attributes: readonly Descriptor[]): boolean {
  return attributes.some((a) => normalizeUuid(a.uuid) === CHARACTERISTIC_DECLARATION);
}

/** Services with characteristics (value handles, properties) and descriptors, by handle. */
export function assembleServices(
  primaries: readonly Primary[],
  characteristics: readonly Characteristic[],
  attributes: readonly Descriptor[],
  secondaries: readonly SecondaryService[] = [],
): ServiceInfo[] {
  const declarations: FoundDeclaration[] = characteristics.map((c) => {
    const head = Buffer.alloc(3);
    head.writeUInt8(c.properties, 0);
    head.writeUInt16LE(c.valueHandle, 1);
    return { handle: c.handle, value: Buffer.concat([head, uuidToBytes(c.uuid)]) };
  });
  const information = new Map(attributes.map((a) => [a.handle, uuidToBytes(a.uuid)]));
  return assembleDatabase(
    [
      ...primaries.map((p) => ({ ...p, primary: true })),
      ...secondaries.map((p) => ({ ...p, primary: false })),
    ].map((g) => ({ start: g.start, end: g.end, uuid: uuidToBytes(g.uuid), primary: g.primary })),
    declarations,
    information,
  );
}
