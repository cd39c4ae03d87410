import { AdType, URI_SCHEMES } from './ad-types.js';
import type { AdStructure, AdvertisingData } from './advertising.js';
import { DecodeError, InvalidArgumentError } from '../core/errors.js';
import { uuidFromBytes } from '../core/uuid.js';

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
