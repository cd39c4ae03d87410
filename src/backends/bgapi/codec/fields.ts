import {
  DecodeError,
  InvalidArgumentError,
  addressFromBytes,
  addressToBytes,
} from '../../../core/index.js';

/**
 * Parameter types of BGAPI v1 (BLE112/BLED112): little-endian integers, a 6-byte Bluetooth
 * address (least significant byte first) and `uint8array`, a byte array behind a one-byte
 * length. A uint8array is always the last parameter of a message.
 */
export type FieldKind = 'u8' | 'i8' | 'u16' | 'u32' | 'bdaddr' | 'bytes';

/** A message's parameter list: field name -> type, in wire order. */
export type Fields = Readonly<Record<string, FieldKind>>;

type FieldValue<K extends FieldKind> = K extends 'bytes'
  ? Buffer
  : K extends 'bdaddr'
    ? string
    : number;

/** The decoded (or to-encode) values of a parameter list. */
export type FieldValues<F extends Fields> = { -readonly [K in keyof F]: FieldValue<F[K]> };

const FIXED_SIZE: Record<Exclude<FieldKind, 'bytes'>, number> = {
  u8: 1,
  i8: 1,
  u16: 2,
  u32: 4,
  bdaddr: 6,
};

const INT_RANGE: Record<'u8' | 'i8' | 'u16' | 'u32', [number, number]> = {
  u8: [0, 0xff],
  i8: [-128, 127],
  u16: [0, 0xffff],
  u32: [0, 0xffffffff],
};

/** Smallest and largest payload a parameter list can take. */
export function payloadBounds(fields: Fields): { min: number; max: number } {
  let min = 0;
  let max = 0;
  for (const kind of Object.values(fields)) {
    if (kind === 'bytes') {
      min += 1;
      max += 256;
    } else {
      min += FIXED_SIZE[kind];
      max += FIXED_SIZE[kind];
    }
  }
  return { min, max };
}

/** Encodes values in declaration order; InvalidArgumentError for a missing or out-of-range value. */
export function encodeFields(
  fields: Fields,
  values: Record<string, unknown>,
  what: string,
): Buffer {
  const parts: Buffer[] = [];
  for (const [name, kind] of Object.entries(fields)) {
    const v = values[name];
    const where = `${what}.${name}`;
    if (kind === 'bytes') {
      if (!(v instanceof Uint8Array)) throw new InvalidArgumentError(`${where} must be bytes`);
      if (v.length > 255) {
        throw new InvalidArgumentError(`${where} is ${v.length} bytes; BGAPI allows 255`);
      }
      parts.push(Buffer.from([v.length]), Buffer.from(v));
    } else if (kind === 'bdaddr') {
      if (typeof v !== 'string') throw new InvalidArgumentError(`${where} must be an address`);
      parts.push(addressToBytes(v));
    } else {
      const [lo, hi] = INT_RANGE[kind];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) {
        throw new InvalidArgumentError(`${where} must be an integer ${lo}..${hi}, got ${v}`);
      }
      const b = Buffer.alloc(FIXED_SIZE[kind]);
      if (kind === 'i8') b.writeInt8(v);
      else b.writeUIntLE(v, 0, b.length);
      parts.push(b);
    }
  }
  return Buffer.concat(parts);
}

/**
 * Decodes a payload that must match the parameter list exactly: a short payload, a byte array
 * whose length byte disagrees with what is left, or trailing bytes give a DecodeError.
 */
export function decodeFields(
  fields: Fields,
  payload: Buffer,
  what: string,
  base = 4,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  let off = 0;
  for (const [name, kind] of Object.entries(fields)) {
    const need = kind === 'bytes' ? 1 : FIXED_SIZE[kind];
    if (off + need > payload.length) {
      throw new DecodeError(`${what}: truncated at ${name}`, { offset: base + off });
    }
    switch (kind) {
      case 'u8':
        out[name] = payload.readUInt8(off);
        break;
      case 'i8':
        out[name] = payload.readInt8(off);
        break;
      case 'u16':
        out[name] = payload.readUInt16LE(off);
        break;
      case 'u32':
        out[name] = payload.readUInt32LE(off);
        break;
      case 'bdaddr':
        out[name] = addressFromBytes(payload, off);
        break;
      case 'bytes': {
        const len = payload.readUInt8(off);
        if (off + 1 + len > payload.length) {
          throw new DecodeError(`${what}: ${name} says ${len} bytes, fewer follow`, {
            offset: base + off,
          });
        }
        out[name] = Buffer.from(payload.subarray(off + 1, off + 1 + len));
        off += len;
        break;
      }
    }
    off += need;
  }
  if (off !== payload.length) {
    throw new DecodeError(`${what}: ${payload.length - off} unexpected trailing bytes`, {
      offset: base + off,
    });
  }
  return out;
}
