/** fast-check arbitraries for values of any generated field spec (test helper). */
import fc from 'fast-check';
import { addressFromBytes } from '../../../src/core/address.js';
import { uuidFromBytes } from '../../../src/core/uuid.js';
import type { FieldSpec } from '../../../src/mgmt/fields.js';

const utf8Within = (maxBytes: number): fc.Arbitrary<string> =>
  fc
    .string({ maxLength: maxBytes, unit: 'grapheme' })
    .filter((s) => Buffer.byteLength(s) <= maxBytes && !s.includes('\0'));

function fieldArb(f: FieldSpec): fc.Arbitrary<unknown> {
  switch (f.type) {
    case 'u8':
      return fc.integer({ min: 0, max: 0xff });
    case 'i8':
      return fc.integer({ min: -128, max: 127 });
    case 'u16':
      return fc.integer({ min: 0, max: 0xffff });
    case 'u24':
      return fc.integer({ min: 0, max: 0xffffff });
    case 'u32':
      return fc.integer({ min: 0, max: 0xffffffff });
    case 'address':
      return fc.uint8Array({ minLength: 6, maxLength: 6 }).map((b) => addressFromBytes(b));
    case 'addressType':
      return fc.constantFrom('bredr', 'le-public', 'le-random');
    case 'uuid':
      return fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => uuidFromBytes(b));
    case 'bytes':
      return fc.uint8Array({ minLength: f.size, maxLength: f.size });
    case 'string':
      return utf8Within(Math.min(f.size - 1, 20));
    case 'flags':
      return fc.integer({ min: 0, max: 2 ** (8 * f.size) - 1 });
    case 'var':
    case 'rest':
      return fc.uint8Array({ maxLength: 40 });
    case 'struct':
      return objectArb(f.fields);
    case 'list': {
      const item = f.item.length === 1 ? fieldArb(f.item[0] as FieldSpec) : objectArb(f.item);
      return fc.array(item, { maxLength: 4 });
    }
    default:
      return fc.constant(undefined);
  }
}

/** Values for a parameter list; trailing optional fields are all present or all left out. */
export function objectArb(fields: readonly FieldSpec[]): fc.Arbitrary<Record<string, unknown>> {
  const visible = fields.filter((f) => f.type !== 'len' && f.type !== 'count');
  const req = Object.fromEntries(
    visible.filter((f) => !f.optional).map((f) => [f.name, fieldArb(f)]),
  );
  const opt = Object.fromEntries(
    visible.filter((f) => f.optional).map((f) => [f.name, fieldArb(f)]),
  );
  if (Object.keys(opt).length === 0) return fc.record(req);
  return fc
    .tuple(fc.record(req), fc.record(opt), fc.boolean())
    .map(([r, o, withOpt]) => (withOpt ? { ...r, ...o } : r));
}
