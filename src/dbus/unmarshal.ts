/**
 * Reads D-Bus values (either byte order) into the shapes dbus-next handed its callers, which
 * blekit's code was written against: 'ay' as a Buffer, dicts as objects,
 * 'v' as a Variant, 64-bit integers as bigint, 'h' as the received fd. Every read is bounds
 * checked; malformed bytes give a DecodeError, never a crash or a loop.
 */
import { DecodeError } from '../core/errors.js';
import { Variant } from './client/variant.js';
import { singleType, type TypeNode } from './signature.js';

const MAX_ARRAY_BYTES = 1 << 26;
/** The specification's limit on total nesting, which also bounds the recursion here. */
const MAX_DEPTH = 64;

export class Reader {
  pos: number;

  /** `budget`: how many values may still be decoded (see valueBudget in message-codec.ts). */
  constructor(
    readonly buf: Buffer,
    readonly littleEndian: boolean,
    readonly fds: readonly number[] = [],
    start = 0,
    readonly end = buf.length,
    private budget = Number.MAX_SAFE_INTEGER,
  ) {
    this.pos = start;
  }

  /** Counts one decoded value against the budget. */
  spend(): void {
    if (--this.budget < 0) this.fail('more values than its size allows (decode inflation bound)');
  }

  fail(why: string): never {
    throw new DecodeError(`malformed D-Bus message: ${why}`, { offset: this.pos });
  }

  need(n: number): void {
    if (this.pos + n > this.end) this.fail(`${n} bytes needed, ${this.end - this.pos} left`);
  }

  align(a: number): void {
    const to = (this.pos + a - 1) & ~(a - 1);
    this.need(to - this.pos);
    for (let i = this.pos; i < to; i++) if (this.buf[i] !== 0) this.fail('non-zero padding');
    this.pos = to;
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  /** Aligns to `size`, checks the bytes are there and steps over them; returns where they start. */
  fixed(size: number): number {
    this.align(size);
    this.need(size);
    const at = this.pos;
    this.pos += size;
    return at;
  }

  u32(): number {
    const at = this.fixed(4);
    return this.littleEndian ? this.buf.readUInt32LE(at) : this.buf.readUInt32BE(at);
  }

  /** A string of `len` bytes plus its NUL terminator. */
  text(len: number): string {
    this.need(len + 1);
    if (this.buf[this.pos + len] !== 0) this.fail('string without its NUL terminator');
    const s = this.buf.toString('utf8', this.pos, this.pos + len);
    this.pos += len + 1;
    return s;
  }
}

/** Reads one value of type `t`; depth counts containers already entered. */
export function readValue(r: Reader, t: TypeNode, depth = 0): unknown {
  if (depth > MAX_DEPTH) r.fail('nested too deep');
  r.spend();
  const b = r.buf;
  const le = r.littleEndian;
  switch (t.code) {
    case 'y':
      return r.u8();
    case 'b': {
      const v = r.u32();
      if (v > 1) r.fail(`boolean ${v}`);
      return v === 1;
    }
    case 'n':
    case 'q': {
      const at = r.fixed(2);
      if (t.code === 'n') return le ? b.readInt16LE(at) : b.readInt16BE(at);
      return le ? b.readUInt16LE(at) : b.readUInt16BE(at);
    }
    case 'i': {
      const v = r.u32();
      return v | 0;
    }
    case 'u':
      return r.u32();
    case 'h': {
      const i = r.u32();
      if (i >= r.fds.length) r.fail('No FDs available for an fd index');
      return r.fds[i];
    }
    case 'x':
    case 't':
    case 'd': {
      const at = r.fixed(8);
      if (t.code === 'd') return le ? b.readDoubleLE(at) : b.readDoubleBE(at);
      if (t.code === 'x') return le ? b.readBigInt64LE(at) : b.readBigInt64BE(at);
      return le ? b.readBigUInt64LE(at) : b.readBigUInt64BE(at);
    }
    case 's':
    case 'o':
      return r.text(r.u32());
    case 'g':
      return r.text(r.u8());
    case 'v': {
      const sig = r.text(r.u8());
      return new Variant(sig, readValue(r, singleType(sig), depth + 1));
    }
    case '(': {
      r.align(8);
      return t.children.map((c) => readValue(r, c, depth + 1));
    }
    case 'a':
      return readArray(r, t.children[0]!, depth + 1);
  }
  return r.fail(`type "${t.code}" cannot be read`);
}

function readArray(r: Reader, elem: TypeNode, depth: number): unknown {
  const length = r.u32();
  if (length > MAX_ARRAY_BYTES) r.fail(`array of ${length} bytes`);
  r.align(elem.align);
  r.need(length);
  const end = r.pos + length;
  if (elem.code === 'y') {
    const out = r.buf.subarray(r.pos, end);
    r.pos = end;
    return out;
  }
  if (elem.code === '{') {
    const [kt, vt] = elem.children as [TypeNode, TypeNode];
    const out: Record<string, unknown> = {};
    while (r.pos < end) {
      r.align(8);
      const k = String(readValue(r, kt, depth + 1));
      const v = readValue(r, vt, depth + 1);
      // A key named __proto__ must stay a key, not replace the object's prototype.
      if (k === '__proto__') Object.defineProperty(out, k, { value: v, enumerable: true });
      else out[k] = v;
    }
    if (r.pos !== end) r.fail('dict overruns its length');
    return out;
  }
  const out: unknown[] = [];
  while (r.pos < end) out.push(readValue(r, elem, depth));
  if (r.pos !== end) r.fail('array overruns its length');
  return out;
}
