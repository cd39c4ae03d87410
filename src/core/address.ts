import { DecodeError, InvalidArgumentError } from './errors.js';
import { describeValue } from './describe.js';

/** LE address type: public (IEEE assigned) or random (static or private). */
export type AddressType = 'public' | 'random';

/** True for 'public' and 'random'. */
export function isAddressType(s: unknown): s is AddressType {
  return s === 'public' || s === 'random';
}

/** Sub-type of a random address, from its two most significant bits. */
export type RandomAddressKind = 'static' | 'resolvable' | 'non-resolvable';

const ADDRESS_RE = /^[0-9A-F]{2}([:-])[0-9A-F]{2}(\1[0-9A-F]{2}){4}$/i;

/** True for 'AA:BB:CC:DD:EE:FF' in either case, with ':' or '-' (not mixed). */
export function isAddress(s: unknown): s is string {
  return typeof s === 'string' && ADDRESS_RE.test(s);
}

/** 'aa-bb-cc-dd-ee-ff' → 'AA:BB:CC:DD:EE:FF'; InvalidArgumentError for anything else. */
export function normalizeAddress(s: string): string {
  if (!isAddress(s))
    throw new InvalidArgumentError(`Invalid Bluetooth address: ${describeValue(s)}`);
  return s.toUpperCase().replace(/-/g, ':');
}

/** The 6 address bytes in on-air order (least significant first). */
export function addressToBytes(addr: string): Buffer {
  return Buffer.from(normalizeAddress(addr).split(':').reverse().join(''), 'hex');
}

/** Address from 6 on-air (little-endian) bytes at `offset`; DecodeError if too short. */
export function addressFromBytes(buf: Uint8Array, offset = 0): string {
  if (!(buf instanceof Uint8Array))
    throw new InvalidArgumentError('Address bytes must be a Uint8Array');
  if (!Number.isInteger(offset) || offset < 0 || offset + 6 > buf.length) {
    throw new DecodeError(
      `Need 6 address bytes at offset ${describeValue(offset)}, have ${buf.length}`,
      {
        offset,
      },
    );
  }
  const parts: string[] = [];
  for (let i = offset + 5; i >= offset; i--) {
    parts.push((buf[i] as number).toString(16).toUpperCase().padStart(2, '0'));
  }
  return parts.join(':');
}

/**
 * Kind of a random address: top bits 11 static, 01 resolvable private, 00 non-resolvable
 * private. 10 is reserved by the spec and gets InvalidArgumentError.
 */
export function randomAddressKind(addr: string): RandomAddressKind {
  const top = parseInt(normalizeAddress(addr).slice(0, 2), 16) >> 6;
  if (top === 0b11) return 'static';
  if (top === 0b01) return 'resolvable';
  if (top === 0b00) return 'non-resolvable';
  throw new InvalidArgumentError(`Random address ${addr} uses the reserved sub-type 0b10`);
}
