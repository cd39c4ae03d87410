import { DecodeError, InvalidArgumentError } from './errors.js';
import { SIG_NAMES, type SigUuidKind } from '../protocol/sig-names.js';
import { describeValue } from './describe.js';

/** The Bluetooth Base UUID; 16- and 32-bit UUIDs are aliases that replace its first 8 hex digits. */
export const BASE_UUID_SUFFIX = '-0000-1000-8000-00805f9b34fb';

const HEX_RE = /^[0-9a-f]+$/;
const DASHED_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function fromAlias(value: number): string {
  return value.toString(16).padStart(8, '0') + BASE_UUID_SUFFIX;
}

function tryNormalize(input: unknown): string | undefined {
  if (typeof input === 'number') {
    if (!Number.isInteger(input) || input < 0 || input > 0xffffffff) return undefined;
    return fromAlias(input);
  }
  if (typeof input !== 'string') return undefined;
  let s = input.toLowerCase();
  if (DASHED_RE.test(s)) return s;
  if (s.startsWith('0x')) s = s.slice(2);
  if (!HEX_RE.test(s)) return undefined;
  if (s.length === 4 || s.length === 8) return fromAlias(parseInt(s, 16));
  if (s.length === 32) {
    return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
  }
  return undefined;
}

/**
 * Canonical form of a UUID: lowercase, 128-bit, dashed.
 * Accepts 16-bit ('180d', '0x180D', 0x180d), 32-bit ('0000180d', 0x12345678) and 128-bit
 * UUIDs with or without dashes, in any case. Throws InvalidArgumentError otherwise.
 */
export function normalizeUuid(input: string | number): string {
  const out = tryNormalize(input);
  if (out === undefined) throw new InvalidArgumentError(`Invalid UUID: ${describeValue(input)}`);
  return out;
}

/** True when normalizeUuid would accept the value. */
export function isUuid(input: unknown): input is string | number {
  return tryNormalize(input) !== undefined;
}

/** The 32-bit alias when the UUID is on the SIG base UUID, else undefined. */
export function uuidAlias(uuid: string | number): number | undefined {
  const full = normalizeUuid(uuid);
  if (!full.endsWith(BASE_UUID_SUFFIX)) return undefined;
  return parseInt(full.slice(0, 8), 16);
}

/** '180d' for 16-bit SIG UUIDs, 'xxxxxxxx' for 32-bit ones, else the full 128-bit form. */
export function shortUuid(uuid: string | number): string {
  const alias = uuidAlias(uuid);
  if (alias === undefined) return normalizeUuid(uuid);
  return alias <= 0xffff
    ? alias.toString(16).padStart(4, '0')
    : alias.toString(16).padStart(8, '0');
}

/**
 * Bytes of a UUID as sent on air (little-endian). Without `size`, uses 2 bytes when the UUID
 * has a 16-bit alias and 16 otherwise (the two sizes ATT allows); 4 must be asked for.
 * Throws InvalidArgumentError when the UUID does not fit the requested size.
 */
export function uuidToBytes(uuid: string | number, size?: 2 | 4 | 16): Buffer {
  const full = normalizeUuid(uuid);
  const alias = uuidAlias(full);
  const chosen = size ?? (alias !== undefined && alias <= 0xffff ? 2 : 16);
  if (chosen === 16) return Buffer.from(full.replace(/-/g, ''), 'hex').reverse();
  if (chosen !== 2 && chosen !== 4)
    throw new InvalidArgumentError(`Invalid UUID size: ${describeValue(size)}`);
  const max = chosen === 2 ? 0xffff : 0xffffffff;
  if (alias === undefined || alias > max) {
    throw new InvalidArgumentError(`UUID ${full} does not fit in ${chosen} bytes`);
  }
  const out = Buffer.alloc(chosen);
  out.writeUIntLE(alias, 0, chosen);
  return out;
}

/** UUID from on-air little-endian bytes (2, 4 or 16 of them); DecodeError for any other length. */
export function uuidFromBytes(buf: Uint8Array): string {
  if (!(buf instanceof Uint8Array))
    throw new InvalidArgumentError('UUID bytes must be a Uint8Array');
  if (buf.length === 2 || buf.length === 4) {
    return fromAlias(Buffer.from(buf.buffer, buf.byteOffset, buf.length).readUIntLE(0, buf.length));
  }
  if (buf.length !== 16) throw new DecodeError(`Invalid UUID length: ${buf.length} bytes`);
  return normalizeUuid(Buffer.from(buf).reverse().toString('hex'));
}

/** SIG name of a service, characteristic, descriptor, declaration or unit UUID, if known. */
export function uuidName(uuid: string | number): string | undefined {
  const alias = uuidAlias(uuid);
  return alias === undefined ? undefined : SIG_NAMES.get(alias)?.name;
}

/** What kind of SIG-assigned UUID this is, if known. */
export function uuidKind(uuid: string | number): SigUuidKind | undefined {
  const alias = uuidAlias(uuid);
  return alias === undefined ? undefined : SIG_NAMES.get(alias)?.kind;
}
