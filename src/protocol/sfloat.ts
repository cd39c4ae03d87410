import { DecodeError } from '../core/errors.js';

/**
 * IEEE 11073-20601 medical number formats used by SIG health profiles: FLOAT (8-bit exponent,
 * 24-bit mantissa) and SFLOAT (4-bit exponent, 12-bit mantissa), both signed, value =
 * mantissa * 10^exponent, with reserved mantissas for NaN, NRes and infinities.
 */
function special(m: number, nan: number, nres: number, pinf: number, ninf: number): number | null {
  if (m === nan || m === nres) return NaN;
  if (m === pinf) return Infinity;
  if (m === ninf) return -Infinity;
  if (m === nres + 1) return NaN; // reserved for future use
  return null;
}

function scaled(mantissa: number, exponent: number): number {
  // Round through the decimal exponent so 3650 * 10^-2 prints as 36.5, not 36.500000000000004.
  // toFixed takes at most 100 digits; beyond 20 the plain product is as exact as doubles get.
  if (exponent < 0 && exponent >= -20)
    return Number((mantissa / 10 ** -exponent).toFixed(-exponent));
  return mantissa * 10 ** exponent;
}

/** Reads an IEEE 11073 FLOAT (4 bytes) at offset: NaN for NaN, NRes and reserved, ±Infinity. */
export function readFloat32(buf: Buffer, offset: number): number {
  if (offset + 4 > buf.length) throw new DecodeError('FLOAT needs 4 bytes', { offset });
  const raw = buf.readUInt32LE(offset);
  const m = raw & 0xffffff;
  const s = special(m, 0x7fffff, 0x800000, 0x7ffffe, 0x800002);
  if (s !== null) return s;
  const mantissa = m & 0x800000 ? m - 0x1000000 : m;
  return scaled(mantissa, buf.readInt8(offset + 3));
}

/** Reads an IEEE 11073 SFLOAT (2 bytes) at offset, with the same special values as readFloat32. */
export function readSfloat(buf: Buffer, offset: number): number {
  if (offset + 2 > buf.length) throw new DecodeError('SFLOAT needs 2 bytes', { offset });
  const raw = buf.readUInt16LE(offset);
  const m = raw & 0x0fff;
  const s = special(m, 0x07ff, 0x0800, 0x07fe, 0x0802);
  if (s !== null) return s;
  const mantissa = m & 0x0800 ? m - 0x1000 : m;
  const e = raw >> 12;
  return scaled(mantissa, e & 0x8 ? e - 0x10 : e);
}
