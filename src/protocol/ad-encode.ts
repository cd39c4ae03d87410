import { AdType, URI_SCHEMES } from './ad-types.js';
import type { AdStructure, AdvertisingDataInput } from './advertising.js';
import { InvalidArgumentError } from '../core/errors.js';
import { normalizeUuid, uuidAlias, uuidToBytes } from '../core/uuid.js';
import { describeValue } from '../core/describe.js';

/** Options of encodeAdvertisingData(). */
export interface EncodeAdvertisingOptions {
  /** Reject output longer than this (31 for legacy advertising). No limit by default. */
  maxLength?: number;
}

function checkInt(name: string, v: number, min: number, max: number): void {
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new InvalidArgumentError(
      `${name} must be an integer ${min}..${max}, got ${describeValue(v)}`,
    );
  }
}

function bytesOf(name: string, v: unknown): Buffer {
  if (!(v instanceof Uint8Array))
    throw new InvalidArgumentError(`${name} must be a Buffer or Uint8Array`);
  return Buffer.from(v);
}

function mapOf<K, V>(name: string, m: ReadonlyMap<K, V> | undefined): ReadonlyMap<K, V> {
  if (m === undefined) return new Map();
  if (!(m instanceof Map)) throw new InvalidArgumentError(`${name} must be a Map`);
  return m;
}

function textOf(name: string, v: unknown): Buffer {
  if (typeof v !== 'string') throw new InvalidArgumentError(`${name} must be a string`);
  return Buffer.from(v, 'utf8');
}

/** Smallest on-air size for a UUID in AD (2, 4 or 16 bytes). */
function adUuidSize(uuid: string): 2 | 4 | 16 {
  const alias = uuidAlias(uuid);
  if (alias === undefined) return 16;
  return alias <= 0xffff ? 2 : 4;
}

function encodeUuidLists(
  out: AdStructure[],
  uuids: (string | number)[],
  types: [number, number, number],
): void {
  if (!Array.isArray(uuids)) throw new InvalidArgumentError('UUID lists must be arrays');
  const bySize = new Map<number, Buffer[]>([
    [2, []],
    [4, []],
    [16, []],
  ]);
  const seen = new Set<string>();
  for (const u of uuids) {
    const full = normalizeUuid(u);
    if (seen.has(full)) continue;
    seen.add(full);
    const size = adUuidSize(full);
    bySize.get(size)?.push(uuidToBytes(full, size));
  }
  [2, 4, 16].forEach((size, i) => {
    const parts = bySize.get(size) as Buffer[];
    if (parts.length > 0) out.push({ type: types[i] as number, data: Buffer.concat(parts) });
  });
}

function encodeUri(uri: string): Buffer {
  for (const [code, scheme] of URI_SCHEMES) {
    if (uri.startsWith(scheme))
      return Buffer.from(String.fromCodePoint(code) + uri.slice(scheme.length), 'utf8');
  }
  return Buffer.from('\u0001' + uri, 'utf8');
}

function fieldStructures(data: AdvertisingDataInput): AdStructure[] {
  const out: AdStructure[] = [];
  if (data.flags !== undefined) {
    checkInt('flags', data.flags, 0, 0xff);
    out.push({ type: AdType.Flags, data: Buffer.from([data.flags]) });
  }
  encodeUuidLists(out, data.serviceUuids ?? [], [
    AdType.CompleteUuids16,
    AdType.CompleteUuids32,
    AdType.CompleteUuids128,
  ]);
  encodeUuidLists(out, data.solicitUuids ?? [], [
    AdType.SolicitUuids16,
    AdType.SolicitUuids32,
    AdType.SolicitUuids128,
  ]);
  if (data.localName !== undefined && data.completeName !== false) {
    out.push({ type: AdType.CompleteLocalName, data: textOf('localName', data.localName) });
  }
  const short = data.shortName ?? (data.completeName === false ? data.localName : undefined);
  if (short !== undefined)
    out.push({ type: AdType.ShortenedLocalName, data: textOf('shortName', short) });
  if (data.txPower !== undefined) {
    checkInt('txPower', data.txPower, -128, 127);
    const b = Buffer.alloc(1);
    b.writeInt8(data.txPower);
    out.push({ type: AdType.TxPowerLevel, data: b });
  }
  if (data.appearance !== undefined) {
    checkInt('appearance', data.appearance, 0, 0xffff);
    const b = Buffer.alloc(2);
    b.writeUInt16LE(data.appearance);
    out.push({ type: AdType.Appearance, data: b });
  }
  if (data.advertisingInterval !== undefined) {
    const v = data.advertisingInterval;
    checkInt('advertisingInterval', v, 0, 0xffffffff);
    const size = v <= 0xffff ? 2 : v <= 0xffffff ? 3 : 4;
    const b = Buffer.alloc(size);
    b.writeUIntLE(v, 0, size);
    out.push({
      type: size === 2 ? AdType.AdvertisingInterval : AdType.AdvertisingIntervalLong,
      data: b,
    });
  }
  for (const [uuid, value] of mapOf('serviceData', data.serviceData)) {
    const size = adUuidSize(normalizeUuid(uuid));
    const type =
      size === 2 ? AdType.ServiceData16 : size === 4 ? AdType.ServiceData32 : AdType.ServiceData128;
    out.push({
      type,
      data: Buffer.concat([uuidToBytes(uuid, size), bytesOf('serviceData value', value)]),
    });
  }
  for (const [company, value] of mapOf('manufacturerData', data.manufacturerData)) {
    checkInt('manufacturer company identifier', company, 0, 0xffff);
    const id = Buffer.alloc(2);
    id.writeUInt16LE(company);
    out.push({
      type: AdType.ManufacturerSpecificData,
      data: Buffer.concat([id, bytesOf('manufacturerData value', value)]),
    });
  }
  if (data.uri !== undefined) {
    textOf('uri', data.uri);
    out.push({ type: AdType.Uri, data: encodeUri(data.uri) });
  }
  return out;
}

/**
 * Encodes advertising data as AD structures: flags, service UUID lists (as complete lists, each
 * UUID in its smallest size), solicitation lists, names, TX power, appearance, interval, service
 * data, manufacturer data, URI, then `raw` structures. InvalidArgumentError for out-of-range
 * values, a structure over 254 data bytes, or output longer than `options.maxLength`.
 */
export function encodeAdvertisingData(
  data: AdvertisingDataInput,
  options: EncodeAdvertisingOptions = {},
): Buffer {
  if (typeof data !== 'object' || data === null) {
    throw new InvalidArgumentError('Advertising data must be an object');
  }
  const { maxLength } = options;
  if (maxLength !== undefined) checkInt('maxLength', maxLength, 0, Number.MAX_SAFE_INTEGER);
  if (data.raw !== undefined && !Array.isArray(data.raw)) {
    throw new InvalidArgumentError('raw must be an array of { type, data }');
  }
  const raw = (data.raw ?? []).map((r) => ({ type: r?.type, data: bytesOf('raw data', r?.data) }));
  const structures = [...fieldStructures(data), ...raw];
  const parts: Buffer[] = [];
  for (const s of structures) {
    checkInt('AD type', s.type, 0, 0xff);
    if (s.data.length > 254) {
      throw new InvalidArgumentError(
        `AD type 0x${s.type.toString(16)} has ${s.data.length} data bytes (max 254)`,
      );
    }
    parts.push(Buffer.from([s.data.length + 1, s.type]), s.data);
  }
  const out = Buffer.concat(parts);
  if (maxLength !== undefined && out.length > maxLength) {
    throw new InvalidArgumentError(
      `Advertising data is ${out.length} bytes, over the limit of ${maxLength}`,
    );
  }
  return out;
}
