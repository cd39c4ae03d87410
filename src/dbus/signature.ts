/**
 * D-Bus type signatures as trees, checked against the specification's rules (complete types,
 * dict entries only as array elements with a basic key, at most 255 characters, nesting at
 * most 32 arrays and 32 structs deep).
 */
import { DecodeError } from '../core/errors.js';

export interface TypeNode {
  /** The type code: one of 'ybnqiuxtdhsogv', 'a', '(' for a struct, '{' for a dict entry. */
  readonly code: string;
  /** Array: [element]; struct: its members; dict entry: [key, value]. */
  readonly children: readonly TypeNode[];
  /** Alignment of the type on the wire, in bytes. */
  readonly align: number;
}

const ALIGN: Record<string, number> = {
  y: 1,
  b: 4,
  n: 2,
  q: 2,
  i: 4,
  u: 4,
  x: 8,
  t: 8,
  d: 8,
  h: 4,
  s: 4,
  o: 4,
  g: 1,
  v: 1,
  a: 4,
  '(': 8,
  '{': 8,
};
const BASIC = new Set('ybnqiuxtdhsog');
const MAX_SIGNATURE = 255;
const MAX_DEPTH = 32;

/** Thrown for a malformed signature: it came off the wire, or from a caller's message. */
export class SignatureError extends DecodeError {
  override name = 'SignatureError';
}

class Parser {
  private at = 0;
  constructor(private readonly s: string) {}

  all(): TypeNode[] {
    const out: TypeNode[] = [];
    while (this.at < this.s.length) out.push(this.one(0, 0));
    return out;
  }

  private fail(why: string): never {
    throw new SignatureError(`bad D-Bus signature "${this.s}": ${why}`, { offset: this.at });
  }

  private one(arrays: number, structs: number): TypeNode {
    const c = this.s[this.at++];
    if (c === undefined) this.fail('unexpected end');
    if (BASIC.has(c) || c === 'v') return { code: c, children: [], align: ALIGN[c]! };
    if (c === 'a') {
      if (arrays >= MAX_DEPTH) this.fail('arrays nested too deep');
      if (this.s[this.at] === '{') {
        this.at++;
        return { code: 'a', children: [this.dictEntry(arrays + 1, structs)], align: 4 };
      }
      return { code: 'a', children: [this.one(arrays + 1, structs)], align: 4 };
    }
    if (c === '(') {
      if (structs >= MAX_DEPTH) this.fail('structs nested too deep');
      const members: TypeNode[] = [];
      while (this.s[this.at] !== ')') {
        if (this.at >= this.s.length) this.fail('unclosed struct');
        members.push(this.one(arrays, structs + 1));
      }
      this.at++;
      if (members.length === 0) this.fail('empty struct');
      return { code: '(', children: members, align: 8 };
    }
    return this.fail(`unexpected "${c}"`);
  }

  private dictEntry(arrays: number, structs: number): TypeNode {
    if (structs >= MAX_DEPTH) this.fail('structs nested too deep');
    const key = this.one(arrays, structs + 1);
    if (!BASIC.has(key.code)) this.fail('dict key must be a basic type');
    const value = this.one(arrays, structs + 1);
    if (this.s[this.at] !== '}') this.fail('dict entry must hold exactly a key and a value');
    this.at++;
    return { code: '{', children: [key, value], align: 8 };
  }
}

const CACHE_MAX = 512;
const cache = new Map<string, readonly TypeNode[]>();

/**
 * Parses a signature into one tree per complete type. Trees are shared and read-only: the same
 * few signatures come with every GATT call and property signal, so they are parsed once.
 */
export function parseSignature(signature: string): readonly TypeNode[] {
  let trees = cache.get(signature);
  if (trees) return trees;
  if (signature.length > MAX_SIGNATURE) {
    throw new SignatureError(`D-Bus signature longer than ${MAX_SIGNATURE} characters`);
  }
  trees = new Parser(signature).all();
  // Signatures inside variants come from the peer; a bounded cache cannot grow without limit.
  if (cache.size >= CACHE_MAX) cache.clear();
  cache.set(signature, trees);
  return trees;
}

/** The one complete type of a variant's signature. */
export function singleType(signature: string): TypeNode {
  const trees = parseSignature(signature);
  if (trees.length !== 1) {
    throw new SignatureError(`a variant needs one complete type, got "${signature}"`);
  }
  return trees[0]!;
}
