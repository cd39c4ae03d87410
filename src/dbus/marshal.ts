/**
 * Writes D-Bus values (little-endian) from these shapes: numbers, booleans,
 * bigint for 64-bit integers, strings, Buffer for 'ay', arrays for arrays and structs, plain
 * objects (or Maps) for dicts, and `{ signature, value }` (a Variant) for 'v'.
 * Integer-keyed dicts (BlueZ's ManufacturerData, a{qv}) take their keys from the object's
 * string keys.
 */
import { InvalidArgumentError } from '../core/errors.js';
import { parseSignature, singleType, type TypeNode } from './signature.js';

const MAX_ARRAY_BYTES = 1 << 26;
const OBJECT_PATH = /^\/$|^(\/[A-Za-z0-9_]+)+$/;

function bad(what: string, v: unknown): never {
  const shown = typeof v === 'bigint' ? `${v}n` : (JSON.stringify(v) ?? String(v));
  throw new InvalidArgumentError(`D-Bus ${what}, got ${shown?.slice(0, 60)}`);
}

/** A growing buffer; positions are absolute, so alignment is relative to its start. */
export class Writer {
  buf: Buffer;
  pos = 0;

  constructor(size = 256) {
    this.buf = Buffer.allocUnsafe(size);
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  pad(align: number): void {
    const to = (this.pos + align - 1) & ~(align - 1);
    this.room(to - this.pos);
    this.buf.fill(0, this.pos, to);
    this.pos = to;
  }

  u8(n: number): void {
    this.room(1);
    this.buf[this.pos++] = n;
  }

  u32(n: number): void {
    this.pad(4);
    this.room(4);
    this.buf.writeUInt32LE(n, this.pos);
    this.pos += 4;
  }

  /** Writes a length-prefixed, NUL-terminated string ('s' and 'o': u32 length; 'g': u8). */
  text(s: string, shortLength: boolean): void {
    const len = Buffer.byteLength(s);
    if (shortLength) this.u8(len);
    else this.u32(len);
    this.room(len + 1);
    this.buf.write(s, this.pos, 'utf8');
    this.pos += len;
    this.buf[this.pos++] = 0;
  }

  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  done(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

function int(v: unknown, min: number, max: number, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) bad(what, v);
  return v;
}

function big(v: unknown, signed: boolean): bigint {
  let b: bigint;
  try {
    b = typeof v === 'bigint' ? v : BigInt(v as number | string);
  } catch {
    bad(signed ? 'int64 expected' : 'uint64 expected', v);
  }
  const fits = signed ? BigInt.asIntN(64, b) === b : BigInt.asUintN(64, b) === b;
  if (!fits || (typeof v === 'number' && !Number.isSafeInteger(v))) {
    bad(signed ? 'int64 out of range' : 'uint64 out of range', v);
  }
  return b;
}

function str(v: unknown, code: string): string {
  if (typeof v !== 'string' || v.includes('\0')) bad('string without NUL expected', v);
  if (code === 'o' && !OBJECT_PATH.test(v)) bad('object path expected', v);
  if (code === 'g') parseSignature(v);
  return v;
}

/** A dict key comes from an object key (a string) or a Map key: give it the key's type. */
function dictKey(k: unknown, code: string): unknown {
  if (typeof k !== 'string') return k;
  switch (code) {
    case 'x':
    case 't':
      return /^-?\d+$/.test(k) ? BigInt(k) : k;
    case 'b':
      return k === 'true' ? true : k === 'false' ? false : k;
    case 's':
    case 'o':
    case 'g':
      return k;
    default:
      return k.trim() === '' ? k : Number(k);
  }
}

/** Writes `v` as type `t`; fds collects the unix fds of 'h' values, which go by index. */
export function writeValue(w: Writer, t: TypeNode, v: unknown, fds: number[]): void {
  switch (t.code) {
    case 'y':
      return w.u8(int(v, 0, 0xff, 'byte expected'));
    case 'b':
      if (v !== true && v !== false && v !== 0 && v !== 1) bad('boolean expected', v);
      return w.u32(v ? 1 : 0);
    case 'n':
    case 'q': {
      const signed = t.code === 'n';
      const n = int(v, signed ? -0x8000 : 0, signed ? 0x7fff : 0xffff, 'int16 expected');
      w.pad(2);
      w.u8(n & 0xff);
      return w.u8((n >> 8) & 0xff);
    }
    case 'i':
      return w.u32(int(v, -0x80000000, 0x7fffffff, 'int32 expected') >>> 0);
    case 'u':
      return w.u32(int(v, 0, 0xffffffff, 'uint32 expected'));
    case 'h':
      fds.push(int(v, 0, 0x7fffffff, 'file descriptor expected'));
      return w.u32(fds.length - 1);
    case 'x':
    case 't': {
      const b = big(v, t.code === 'x');
      w.pad(8);
      w.bytes(bigBytes(b));
      return;
    }
    case 'd': {
      if (typeof v !== 'number') bad('double expected', v);
      w.pad(8);
      const b = Buffer.allocUnsafe(8);
      b.writeDoubleLE(v);
      return w.bytes(b);
    }
    case 's':
    case 'o':
      return w.text(str(v, t.code), false);
    case 'g':
      return w.text(str(v, 'g'), true);
    case 'v': {
      const variant = v as { signature?: unknown; value?: unknown } | null;
      if (!variant || typeof variant !== 'object' || typeof variant.signature !== 'string') {
        bad('Variant expected', v);
      }
      const inner = singleType(variant.signature);
      w.text(variant.signature, true);
      return writeValue(w, inner, variant.value, fds);
    }
    case '(': {
      if (!Array.isArray(v) || v.length !== t.children.length) {
        bad(`struct of ${t.children.length} members expected`, v);
      }
      w.pad(8);
      t.children.forEach((c, i) => writeValue(w, c, v[i], fds));
      return;
    }
    case 'a':
      return writeArray(w, t.children[0]!, v, fds);
  }
  bad(`type "${t.code}" cannot be written`, v);
}

function bigBytes(b: bigint): Buffer {
  const out = Buffer.allocUnsafe(8);
  out.writeBigUInt64LE(BigInt.asUintN(64, b));
  return out;
}

function writeArray(w: Writer, elem: TypeNode, v: unknown, fds: number[]): void {
  w.u32(0);
  const lengthAt = w.pos - 4;
  w.pad(elem.align);
  const start = w.pos;
  if (elem.code === '{') {
    if (!v || typeof v !== 'object' || Array.isArray(v)) bad('object expected for a dict', v);
    const [kt, vt] = elem.children as [TypeNode, TypeNode];
    const entries = v instanceof Map ? v.entries() : Object.entries(v);
    for (const [k, val] of entries) {
      w.pad(8);
      writeValue(w, kt, dictKey(k, kt.code), fds);
      writeValue(w, vt, val, fds);
    }
  } else if (elem.code === 'y' && v instanceof Uint8Array) {
    w.bytes(v);
  } else {
    if (!Array.isArray(v)) bad('array expected', v);
    for (const item of v) writeValue(w, elem, item, fds);
  }
  const length = w.pos - start;
  if (length > MAX_ARRAY_BYTES) bad('array longer than 64 MiB', length);
  w.buf.writeUInt32LE(length, lengthAt);
}
