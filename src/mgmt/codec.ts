/**
 * Interprets the generated field specs: bytes ↔ plain objects. Decoding never trusts a length
 * or count from the wire without checking it against the bytes left, so malformed input ends
 * in a DecodeError at a known offset; encoding validates every value and throws
 * InvalidArgumentError naming the field before anything is sent.
 */
import { addressFromBytes, addressToBytes } from '../core/address.js';
import { encodeAdvertisingData, parseAdvertisingData } from '../protocol/index.js';
import type { AdvertisingData, AdvertisingDataInput } from '../protocol/index.js';
import { BleError, DecodeError, InvalidArgumentError } from '../core/errors.js';
import { uuidFromBytes, uuidToBytes } from '../core/uuid.js';
import type { FieldSpec } from './fields.js';
import { FLAG_SETS } from './generated/protocol.js';

/** Address type of a device in mgmt: BR/EDR, LE public or LE random. */
export type MgmtAddressType = 'bredr' | 'le-public' | 'le-random';
/** The address types mgmt commands take and events carry. */
export const ADDRESS_TYPES: readonly MgmtAddressType[] = ['bredr', 'le-public', 'le-random'];

/** An EIR/AD blob as received: the bytes, and their decoding when they are well formed. */
export interface EirData {
  raw: Buffer;
  ad?: AdvertisingData;
  /** Why `ad` is missing: the blob is not valid AD (the frame itself still decoded). */
  adError?: string;
}

/** Names of the bit sets the mgmt doc defines (settings, flags...). */
export type FlagSetName = keyof typeof FLAG_SETS;

type Obj = Record<string, unknown>;

function decodeError(msg: string, offset: number): DecodeError {
  return new DecodeError(msg, { offset });
}

class Reader {
  constructor(
    readonly buf: Buffer,
    public off: number,
    readonly end: number,
  ) {}

  take(n: number, what: string): Buffer {
    if (this.off + n > this.end) {
      throw decodeError(
        `${what}: need ${n} bytes at offset ${this.off}, frame ends at ${this.end}`,
        this.off,
      );
    }
    const b = this.buf.subarray(this.off, this.off + n);
    this.off += n;
    return b;
  }

  get left(): number {
    return this.end - this.off;
  }
}

/** Smallest number of bytes a field can take, to bound list counts before looping. */
function minSize(f: FieldSpec): number {
  switch (f.type) {
    case 'u8':
    case 'i8':
    case 'addressType':
      return 1;
    case 'u16':
      return 2;
    case 'u24':
      return 3;
    case 'u32':
      return 4;
    case 'address':
      return 6;
    case 'uuid':
      return 16;
    case 'bytes':
    case 'string':
    case 'flags':
    case 'len':
    case 'count':
      return f.size;
    case 'struct':
      return f.fields.reduce((n, x) => n + minSize(x), 0);
    case 'list':
      return 0;
    default:
      return 0;
  }
}

function decodeFlags(value: number, set: string): string[] {
  const bits = (FLAG_SETS as Record<string, readonly (string | null)[]>)[set] ?? [];
  const out: string[] = [];
  for (let bit = 0; bit < 32; bit++) {
    if ((value >>> bit) & 1) out.push(bits[bit] ?? `bit${bit}`);
  }
  return out;
}

function decodeAd(raw: Buffer): EirData {
  const blob: EirData = { raw };
  try {
    blob.ad = parseAdvertisingData(raw);
  } catch (e) {
    if (!(e instanceof BleError)) throw e;
    blob.adError = e.message;
  }
  return blob;
}

function decodeField(f: FieldSpec, r: Reader, sizes: Map<string, number>, path: string): unknown {
  const what = `${path}.${f.name}`;
  switch (f.type) {
    case 'u8':
      return r.take(1, what).readUInt8(0);
    case 'i8':
      return r.take(1, what).readInt8(0);
    case 'u16':
      return r.take(2, what).readUInt16LE(0);
    case 'u24':
      return r.take(3, what).readUIntLE(0, 3);
    case 'u32':
      return r.take(4, what).readUInt32LE(0);
    case 'address':
      return addressFromBytes(r.take(6, what));
    case 'addressType': {
      const at = r.off;
      const v = r.take(1, what).readUInt8(0);
      const t = ADDRESS_TYPES[v];
      if (t === undefined) throw decodeError(`${what}: unknown address type ${v}`, at);
      return t;
    }
    case 'uuid':
      return uuidFromBytes(r.take(16, what));
    case 'bytes':
      return Buffer.from(r.take(f.size, what));
    case 'string': {
      const b = r.take(f.size, what);
      const nul = b.indexOf(0);
      return b.subarray(0, nul < 0 ? b.length : nul).toString('utf8');
    }
    case 'flags':
      return decodeFlags(r.take(f.size, what).readUIntLE(0, f.size), f.set);
    case 'len':
    case 'count':
      throw new Error('unreachable: lengths are read by decodeFields');
    case 'var': {
      const n = sizes.get(f.name) ?? 0;
      const b = Buffer.from(r.take(n, what));
      return f.ad ? decodeAd(b) : b;
    }
    case 'rest': {
      const b = Buffer.from(r.take(r.left, what));
      return f.ad ? decodeAd(b) : b;
    }
    case 'struct':
      return decodeFields(f.fields, r, what);
    case 'list': {
      const scalar = f.item.length === 1;
      const one = (): unknown => {
        const o = decodeFields(f.item, r, what);
        return scalar ? o[(f.item[0] as FieldSpec).name] : o;
      };
      const out: unknown[] = [];
      const count = sizes.get(f.name);
      if (count === undefined) {
        while (r.left > 0) {
          const before = r.off;
          out.push(one());
          if (r.off === before) throw decodeError(`${what}: empty list item`, r.off);
        }
      } else {
        const per = f.item.reduce((n, x) => n + minSize(x), 0);
        if (count * per > r.left) {
          throw decodeError(
            `${what}: ${count} items need at least ${count * per} bytes, ${r.left} left`,
            r.off,
          );
        }
        for (let k = 0; k < count; k++) out.push(one());
      }
      return out;
    }
  }
}

function decodeFields(fields: readonly FieldSpec[], r: Reader, path: string): Obj {
  const out: Obj = {};
  const sizes = new Map<string, number>();
  for (const f of fields) {
    if (f.optional && r.left === 0) continue;
    if (f.type === 'len' || f.type === 'count') {
      sizes.set(f.of, r.take(f.size, `${path}.${f.name}`).readUIntLE(0, f.size));
      continue;
    }
    out[f.name] = decodeField(f, r, sizes, path);
  }
  return out;
}

/**
 * Decodes parameters laid out as `fields`. Bytes past the last field are ignored: newer
 * kernels append fields, and older decoders must keep working.
 */
export function decodeParams(fields: readonly FieldSpec[], buf: Buffer, what: string): Obj {
  return decodeFields(fields, new Reader(buf, 0, buf.length), what);
}

// ---- encoding ----

function bad(what: string, msg: string): never {
  throw new InvalidArgumentError(`${what}: ${msg}`);
}

function uint(v: unknown, what: string, bytes: number, allowBool: boolean): number {
  if (allowBool && typeof v === 'boolean') return v ? 1 : 0;
  const max = 2 ** (8 * bytes) - 1;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max)
    bad(what, `expected an integer 0..${max}, got ${describe(v)}`);
  return v;
}

function describe(v: unknown): string {
  if (v instanceof Uint8Array) return `${v.length} bytes`;
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

function bytesOf(v: unknown, what: string): Buffer {
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.length);
  return bad(what, `expected bytes (Uint8Array), got ${describe(v)}`);
}

export function encodeFlags(v: unknown, set: string, bytes: number, what: string): number {
  if (typeof v === 'number') return uint(v, what, bytes, false);
  if (!Array.isArray(v)) bad(what, `expected a list of flag names or a number, got ${describe(v)}`);
  const bits = (FLAG_SETS as Record<string, readonly (string | null)[]>)[set] ?? [];
  let n = 0;
  for (const name of v as unknown[]) {
    let bit = typeof name === 'string' ? bits.indexOf(name) : -1;
    const m = typeof name === 'string' ? /^bit(\d+)$/.exec(name) : null;
    if (bit < 0 && m) bit = Number(m[1]);
    if (bit < 0 || bit >= 8 * bytes) {
      bad(what, `unknown flag ${describe(name)} (known: ${bits.filter(Boolean).join(', ')})`);
    }
    n |= 2 ** bit;
  }
  return n >>> 0;
}

function adBytes(v: unknown, what: string): Buffer {
  if (v instanceof Uint8Array) return bytesOf(v, what);
  if (typeof v === 'object' && v !== null) {
    const raw = (v as { raw?: unknown }).raw;
    if (raw instanceof Uint8Array) return bytesOf(raw, what);
    try {
      return encodeAdvertisingData(v as AdvertisingDataInput);
    } catch (e) {
      if (e instanceof InvalidArgumentError) bad(what, e.message);
      throw e;
    }
  }
  return bad(what, `expected AD bytes or advertising data, got ${describe(v)}`);
}

/** Byte value of a variable field, as encoded (used for its length field too). */
function varBytes(f: FieldSpec, v: unknown, what: string): Buffer {
  return f.type === 'var' || f.type === 'rest'
    ? f.ad
      ? adBytes(v, what)
      : bytesOf(v, what)
    : bad(what, 'not a variable field');
}

function fixed(n: number, write: (b: Buffer) => void): Buffer {
  const b = Buffer.alloc(n);
  write(b);
  return b;
}

function encodeField(f: FieldSpec, v: unknown, what: string, out: Buffer[]): void {
  switch (f.type) {
    case 'u8':
      out.push(Buffer.of(uint(v, what, 1, true)));
      return;
    case 'i8':
      if (typeof v !== 'number' || !Number.isInteger(v) || v < -128 || v > 127)
        bad(what, `expected an integer -128..127, got ${describe(v)}`);
      out.push(fixed(1, (b) => b.writeInt8(v)));
      return;
    case 'u16':
      out.push(fixed(2, (b) => b.writeUInt16LE(uint(v, what, 2, true))));
      return;
    case 'u24':
      out.push(fixed(3, (b) => b.writeUIntLE(uint(v, what, 3, false), 0, 3)));
      return;
    case 'u32':
      out.push(fixed(4, (b) => b.writeUInt32LE(uint(v, what, 4, false))));
      return;
    case 'address':
      if (typeof v !== 'string') bad(what, `expected an address string, got ${describe(v)}`);
      try {
        out.push(addressToBytes(v));
      } catch (e) {
        bad(what, (e as Error).message);
      }
      return;
    case 'addressType': {
      const i = typeof v === 'number' ? v : ADDRESS_TYPES.indexOf(v as MgmtAddressType);
      if (!Number.isInteger(i) || i < 0 || i > 2)
        bad(what, `expected one of ${ADDRESS_TYPES.join(', ')}, got ${describe(v)}`);
      out.push(Buffer.of(i));
      return;
    }
    case 'uuid':
      if (typeof v !== 'string' && typeof v !== 'number')
        bad(what, `expected a UUID, got ${describe(v)}`);
      try {
        out.push(uuidToBytes(v, 16));
      } catch (e) {
        bad(what, (e as Error).message);
      }
      return;
    case 'bytes': {
      const b = bytesOf(v, what);
      if (b.length !== f.size) bad(what, `expected ${f.size} bytes, got ${b.length}`);
      out.push(Buffer.from(b));
      return;
    }
    case 'string': {
      if (typeof v !== 'string') bad(what, `expected a string, got ${describe(v)}`);
      const b = Buffer.from(v, 'utf8');
      if (b.length > f.size - 1 || b.includes(0))
        bad(what, `expected at most ${f.size - 1} UTF-8 bytes without NUL, got ${b.length}`);
      out.push(Buffer.concat([b, Buffer.alloc(f.size - b.length)]));
      return;
    }
    case 'flags':
      out.push(fixed(f.size, (b) => b.writeUIntLE(encodeFlags(v, f.set, f.size, what), 0, f.size)));
      return;
    case 'var':
    case 'rest':
      out.push(varBytes(f, v, what));
      return;
    case 'struct':
      encodeFields(f.fields, v, what, out);
      return;
    case 'list': {
      if (!Array.isArray(v)) bad(what, `expected a list, got ${describe(v)}`);
      const scalar = f.item.length === 1;
      (v as unknown[]).forEach((x, k) => {
        const item = scalar ? { [(f.item[0] as FieldSpec).name]: x } : x;
        encodeFields(f.item, item, `${what}[${k}]`, out);
      });
      return;
    }
    case 'len':
    case 'count':
      throw new Error('unreachable: lengths are written by encodeFields');
  }
}

function encodeFields(
  fields: readonly FieldSpec[],
  value: unknown,
  path: string,
  out: Buffer[],
): void {
  const obj = (value ?? {}) as Obj;
  if (typeof obj !== 'object' || Array.isArray(obj) || obj instanceof Uint8Array)
    bad(path, `expected an object, got ${describe(value)}`);
  const known = new Set(
    fields.filter((f) => f.type !== 'len' && f.type !== 'count').map((f) => f.name),
  );
  for (const k of Object.keys(obj)) {
    if (!known.has(k))
      bad(path, `unknown parameter "${k}" (expected: ${[...known].join(', ') || 'none'})`);
  }
  let skipping = false;
  for (const f of fields) {
    const what = `${path}.${f.name}`;
    if (f.type === 'len' || f.type === 'count') {
      const target = fields.find((x) => x.name === f.of) as FieldSpec;
      const v = obj[f.of];
      let n: number;
      if (f.type === 'count') {
        if (!Array.isArray(v)) bad(`${path}.${f.of}`, `expected a list, got ${describe(v)}`);
        n = v.length;
      } else {
        n = varBytes(target, v, `${path}.${f.of}`).length;
      }
      if (n > 2 ** (8 * f.size) - 1)
        bad(`${path}.${f.of}`, `${n} is more than a ${f.size}-byte length allows`);
      out.push(fixed(f.size, (b) => b.writeUIntLE(n, 0, f.size)));
      continue;
    }
    const v = obj[f.name];
    if (v === undefined) {
      if (f.optional) {
        skipping = true;
        continue;
      }
      bad(what, 'missing');
    }
    if (skipping) bad(what, 'an optional field before it was left out');
    encodeField(f, v, what, out);
  }
}

/** Encodes parameters laid out as `fields`; InvalidArgumentError names the offending field. */
export function encodeParams(fields: readonly FieldSpec[], value: unknown, what: string): Buffer {
  const out: Buffer[] = [];
  encodeFields(fields, value, what, out);
  return Buffer.concat(out);
}
