import { AdType, URI_SCHEMES } from './ad-types.js';
import { DecodeError, InvalidArgumentError } from './errors.js';
import { normalizeUuid, uuidAlias, uuidFromBytes, uuidToBytes } from './uuid.js';

/** One AD structure: its type code and its data bytes (without the length and type). */
export interface AdStructure {
  type: number;
  data: Buffer;
}

/**
 * Decoded advertising or scan response data.
 *
 * Names: `localName` is the Complete Local Name when one was sent (`completeName` true),
 * else the Shortened Local Name (`completeName` false); `shortName` is the Shortened Local
 * Name whenever one was sent.
 */
export interface AdvertisingData {
  /** Flags byte (see AdFlags). */
  flags?: number;
  localName?: string;
  shortName?: string;
  completeName?: boolean;
  /** TX power level in dBm (-127..127). */
  txPower?: number;
  /** Service UUIDs from the complete and incomplete 16/32/128-bit lists, normalized, deduplicated. */
  serviceUuids: string[];
  /** Service solicitation UUIDs (16/32/128-bit), normalized, deduplicated. */
  solicitUuids: string[];
  /** Service data keyed by normalized UUID. */
  serviceData: Map<string, Buffer>;
  /** Manufacturer specific data keyed by company identifier (data excludes the identifier). */
  manufacturerData: Map<number, Buffer>;
  /** GAP Appearance value. */
  appearance?: number;
  /** Advertising interval in units of 0.625 ms (from the short or the long AD type). */
  advertisingInterval?: number;
  uri?: string;
  /** Structures of types not decoded above, in the order received. Encoding appends them. */
  raw: AdStructure[];
}

/**
 * Input to encodeAdvertisingData: the decoded shape with every field optional, UUIDs in any
 * form normalizeUuid accepts and values as any Uint8Array.
 */
export interface AdvertisingDataInput {
  flags?: number;
  localName?: string;
  shortName?: string;
  completeName?: boolean;
  txPower?: number;
  serviceUuids?: (string | number)[];
  solicitUuids?: (string | number)[];
  serviceData?: ReadonlyMap<string | number, Uint8Array>;
  manufacturerData?: ReadonlyMap<number, Uint8Array>;
  appearance?: number;
  advertisingInterval?: number;
  uri?: string;
  raw?: { type: number; data: Uint8Array }[];
}

/** An empty AdvertisingData (all collections present and empty). */
export function emptyAdvertisingData(): AdvertisingData {
  return {
    serviceUuids: [],
    solicitUuids: [],
    serviceData: new Map(),
    manufacturerData: new Map(),
    raw: [],
  };
}

/** Splits AD bytes into structures. A zero length byte ends the significant part. */
export function splitAdStructures(buf: Uint8Array): AdStructure[] {
  if (!(buf instanceof Uint8Array))
    throw new InvalidArgumentError('Advertising data must be bytes');
  const out: AdStructure[] = [];
  let i = 0;
  while (i < buf.length) {
    const len = buf[i] as number;
    if (len === 0) break;
    if (i + 1 + len > buf.length) {
      throw new DecodeError(
        `AD structure at offset ${i} has length ${len} past the end (${buf.length})`,
        {
          offset: i,
        },
      );
    }
    out.push({ type: buf[i + 1] as number, data: Buffer.from(buf.subarray(i + 2, i + 1 + len)) });
    i += 1 + len;
  }
  return out;
}

function pushUnique(list: string[], uuid: string): void {
  if (!list.includes(uuid)) list.push(uuid);
}

function uuidList(s: AdStructure, size: 2 | 4 | 16, offset: number): string[] {
  if (s.data.length % size !== 0) {
    throw new DecodeError(
      `AD type 0x${s.type.toString(16)}: ${s.data.length} bytes is not a list of ${size}-byte UUIDs`,
      {
        offset,
      },
    );
  }
  const out: string[] = [];
  for (let i = 0; i < s.data.length; i += size)
    out.push(uuidFromBytes(s.data.subarray(i, i + size)));
  return out;
}

function exact(s: AdStructure, len: number | number[], offset: number): void {
  const ok = Array.isArray(len) ? len.includes(s.data.length) : s.data.length === len;
  if (!ok) {
    throw new DecodeError(
      `AD type 0x${s.type.toString(16)} has ${s.data.length} data bytes, expected ${String(len)}`,
      {
        offset,
      },
    );
  }
}

function utf8(data: Buffer): string {
  return new TextDecoder('utf-8', { fatal: false }).decode(data);
}

const UUID_LISTS = new Map<number, [2 | 4 | 16, 'serviceUuids' | 'solicitUuids']>([
  [AdType.IncompleteUuids16, [2, 'serviceUuids']],
  [AdType.CompleteUuids16, [2, 'serviceUuids']],
  [AdType.IncompleteUuids32, [4, 'serviceUuids']],
  [AdType.CompleteUuids32, [4, 'serviceUuids']],
  [AdType.IncompleteUuids128, [16, 'serviceUuids']],
  [AdType.CompleteUuids128, [16, 'serviceUuids']],
  [AdType.SolicitUuids16, [2, 'solicitUuids']],
  [AdType.SolicitUuids32, [4, 'solicitUuids']],
  [AdType.SolicitUuids128, [16, 'solicitUuids']],
]);

const SERVICE_DATA = new Map<number, 2 | 4 | 16>([
  [AdType.ServiceData16, 2],
  [AdType.ServiceData32, 4],
  [AdType.ServiceData128, 16],
]);

function decodeOne(ad: AdvertisingData, s: AdStructure, offset: number): void {
  const list = UUID_LISTS.get(s.type);
  if (list) {
    for (const u of uuidList(s, list[0], offset)) pushUnique(ad[list[1]], u);
    return;
  }
  const sdSize = SERVICE_DATA.get(s.type);
  if (sdSize) {
    if (s.data.length < sdSize)
      throw new DecodeError(`Service data shorter than its UUID`, { offset });
    ad.serviceData.set(uuidFromBytes(s.data.subarray(0, sdSize)), s.data.subarray(sdSize));
    return;
  }
  switch (s.type) {
    case AdType.Flags:
      // Only the first octet has defined bits; later octets are reserved.
      if (s.data.length < 1) throw new DecodeError('Flags AD structure has no data', { offset });
      ad.flags = s.data[0] as number;
      return;
    case AdType.CompleteLocalName:
      ad.localName = utf8(s.data);
      ad.completeName = true;
      return;
    case AdType.ShortenedLocalName:
      ad.shortName = utf8(s.data);
      if (ad.completeName !== true) {
        ad.localName = ad.shortName;
        ad.completeName = false;
      }
      return;
    case AdType.TxPowerLevel:
      exact(s, 1, offset);
      ad.txPower = s.data.readInt8(0);
      return;
    case AdType.Appearance:
      exact(s, 2, offset);
      ad.appearance = s.data.readUInt16LE(0);
      return;
    case AdType.AdvertisingInterval:
      exact(s, 2, offset);
      ad.advertisingInterval = s.data.readUInt16LE(0);
      return;
    case AdType.AdvertisingIntervalLong:
      exact(s, [3, 4], offset);
      ad.advertisingInterval = s.data.readUIntLE(0, s.data.length);
      return;
    case AdType.ManufacturerSpecificData:
      if (s.data.length < 2)
        throw new DecodeError('Manufacturer data shorter than its company identifier', { offset });
      ad.manufacturerData.set(s.data.readUInt16LE(0), s.data.subarray(2));
      return;
    case AdType.Uri:
      if (!decodeUri(ad, s)) ad.raw.push(s);
      return;
    default:
      ad.raw.push(s);
  }
}

function decodeUri(ad: AdvertisingData, s: AdStructure): boolean {
  const text = utf8(s.data);
  const code = text.codePointAt(0);
  if (code === undefined) return false;
  const rest = text.slice(String.fromCodePoint(code).length);
  if (code === 0x01) ad.uri = rest;
  else if (URI_SCHEMES.has(code)) ad.uri = (URI_SCHEMES.get(code) as string) + rest;
  else return false;
  return true;
}

/**
 * Decodes advertising or scan response data (Core Supplement Part A). Throws DecodeError for
 * malformed input (a length past the end, a fixed-size field of the wrong size) and nothing else.
 * Later structures of the same kind override earlier ones (names, flags, map entries).
 */
export function parseAdvertisingData(buf: Uint8Array): AdvertisingData {
  const ad = emptyAdvertisingData();
  let offset = 0;
  for (const s of splitAdStructures(buf)) {
    decodeOne(ad, s, offset);
    offset += 2 + s.data.length;
  }
  return ad;
}

export interface EncodeAdvertisingOptions {
  /** Reject output longer than this (31 for legacy advertising). No limit by default. */
  maxLength?: number;
}

function checkInt(name: string, v: number, min: number, max: number): void {
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new InvalidArgumentError(`${name} must be an integer ${min}..${max}, got ${String(v)}`);
  }
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
    out.push({ type: AdType.CompleteLocalName, data: Buffer.from(data.localName, 'utf8') });
  }
  const short = data.shortName ?? (data.completeName === false ? data.localName : undefined);
  if (short !== undefined)
    out.push({ type: AdType.ShortenedLocalName, data: Buffer.from(short, 'utf8') });
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
  for (const [uuid, value] of data.serviceData ?? []) {
    const size = adUuidSize(normalizeUuid(uuid));
    const type =
      size === 2 ? AdType.ServiceData16 : size === 4 ? AdType.ServiceData32 : AdType.ServiceData128;
    out.push({ type, data: Buffer.concat([uuidToBytes(uuid, size), Buffer.from(value)]) });
  }
  for (const [company, value] of data.manufacturerData ?? []) {
    checkInt('manufacturer company identifier', company, 0, 0xffff);
    const id = Buffer.alloc(2);
    id.writeUInt16LE(company);
    out.push({
      type: AdType.ManufacturerSpecificData,
      data: Buffer.concat([id, Buffer.from(value)]),
    });
  }
  if (data.uri !== undefined) out.push({ type: AdType.Uri, data: encodeUri(data.uri) });
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
  const structures = [...fieldStructures(data), ...(data.raw ?? [])];
  const parts: Buffer[] = [];
  for (const s of structures) {
    checkInt('AD type', s.type, 0, 0xff);
    if (s.data.length > 254) {
      throw new InvalidArgumentError(
        `AD type 0x${s.type.toString(16)} has ${s.data.length} data bytes (max 254)`,
      );
    }
    parts.push(Buffer.from([s.data.length + 1, s.type]), Buffer.from(s.data));
  }
  const out = Buffer.concat(parts);
  if (options.maxLength !== undefined && out.length > options.maxLength) {
    throw new InvalidArgumentError(
      `Advertising data is ${out.length} bytes, over the limit of ${options.maxLength}`,
    );
  }
  return out;
}
