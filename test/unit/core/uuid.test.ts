import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  isUuid,
  normalizeUuid,
  shortUuid,
  uuidFromBytes,
  uuidKind,
  uuidName,
  uuidToBytes,
} from '../../../src/core/uuid.js';
import { DecodeError, InvalidArgumentError } from '../../../src/core/errors.js';

const HR = '0000180d-0000-1000-8000-00805f9b34fb';

test('normalizeUuid accepts 16-bit forms', () => {
  for (const v of ['180d', '180D', '0x180d', '0X180D', 0x180d]) assert.equal(normalizeUuid(v), HR);
});

test('normalizeUuid accepts 32-bit and 128-bit forms', () => {
  assert.equal(normalizeUuid('0000180d'), HR);
  assert.equal(normalizeUuid('12345678'), '12345678-0000-1000-8000-00805f9b34fb');
  assert.equal(normalizeUuid(0x12345678), '12345678-0000-1000-8000-00805f9b34fb');
  assert.equal(normalizeUuid('0000180D00001000800000805F9B34FB'), HR);
  assert.equal(normalizeUuid('0000180D-0000-1000-8000-00805F9B34FB'), HR);
  assert.equal(
    normalizeUuid('6E400001-B5A3-F393-E0A9-E50E24DCCA9E'),
    '6e400001-b5a3-f393-e0a9-e50e24dcca9e',
  );
});

test('normalizeUuid rejects bad input with InvalidArgumentError', () => {
  const bad: unknown[] = [
    '',
    '18d',
    '180',
    '180d0',
    'xyz1',
    '0x',
    ' 180d',
    '180d ',
    'g00d',
    '0000180d-0000-1000-8000-00805f9b34f',
    '0000180d00001000-8000-00805f9b34fb',
    '0x0000180d-0000-1000-8000-00805f9b34fb',
    '{0000180d-0000-1000-8000-00805f9b34fb}',
    -1,
    1.5,
    0x100000000,
    NaN,
    null,
    undefined,
    {},
    [],
  ];
  for (const b of bad) {
    assert.throws(() => normalizeUuid(b as string), InvalidArgumentError, String(b));
    assert.equal(isUuid(b), false, String(b));
  }
});

test('shortUuid', () => {
  assert.equal(shortUuid(HR), '180d');
  assert.equal(shortUuid('2a37'), '2a37');
  assert.equal(shortUuid(0x12345678), '12345678');
  assert.equal(shortUuid('0001ffff'), '0001ffff');
  assert.equal(
    shortUuid('6E400001B5A3F393E0A9E50E24DCCA9E'),
    '6e400001-b5a3-f393-e0a9-e50e24dcca9e',
  );
});

test('uuidToBytes / uuidFromBytes on-air vectors', () => {
  assert.deepEqual(uuidToBytes('180d'), Buffer.from([0x0d, 0x18]));
  assert.deepEqual(uuidToBytes('180d', 4), Buffer.from([0x0d, 0x18, 0, 0]));
  assert.deepEqual(uuidToBytes(0x12345678), Buffer.from('fb349b5f800000800010000078563412', 'hex'));
  assert.deepEqual(uuidToBytes(0x12345678, 4), Buffer.from([0x78, 0x56, 0x34, 0x12]));
  assert.deepEqual(uuidToBytes('180d', 16), Buffer.from('fb349b5f80000080001000000d180000', 'hex'));
  assert.equal(uuidFromBytes(Buffer.from([0x0d, 0x18])), HR);
  assert.equal(
    uuidFromBytes(new Uint8Array([0x78, 0x56, 0x34, 0x12])),
    '12345678-0000-1000-8000-00805f9b34fb',
  );
  assert.equal(uuidFromBytes(Buffer.from('fb349b5f80000080001000000d180000', 'hex')), HR);
  assert.equal(
    uuidFromBytes(Buffer.from('9ecadc240ee5a9e093f3a3b50100406e', 'hex')),
    '6e400001-b5a3-f393-e0a9-e50e24dcca9e',
  );
});

test('uuidToBytes rejects sizes that do not fit; uuidFromBytes rejects bad lengths', () => {
  assert.throws(() => uuidToBytes(0x12345678, 2), InvalidArgumentError);
  assert.throws(() => uuidToBytes('6e400001-b5a3-f393-e0a9-e50e24dcca9e', 4), InvalidArgumentError);
  assert.throws(() => uuidToBytes('180d', 8 as 2), InvalidArgumentError);
  for (const n of [0, 1, 3, 5, 15, 17])
    assert.throws(() => uuidFromBytes(Buffer.alloc(n)), DecodeError);
});

test('uuidName and uuidKind', () => {
  assert.equal(uuidName('180d'), 'Heart Rate');
  assert.equal(uuidName(0x180f), 'Battery');
  assert.equal(uuidName('2a37'), 'Heart Rate Measurement');
  assert.equal(uuidName('2902'), 'Client Characteristic Configuration');
  assert.equal(uuidName('27ad'), 'percentage');
  assert.equal(uuidKind('2902'), 'descriptor');
  assert.equal(uuidKind('180d'), 'service');
  assert.equal(uuidKind('2a19'), 'characteristic');
  assert.equal(uuidKind('2800'), 'declaration');
  assert.equal(uuidName('6e400001-b5a3-f393-e0a9-e50e24dcca9e'), undefined);
  assert.equal(uuidName('ffff'), undefined);
  assert.throws(() => uuidName('nope'), InvalidArgumentError);
});

test('all standard descriptors 0x2900..0x290E are named', () => {
  for (let u = 0x2900; u <= 0x290e; u++) {
    assert.ok(uuidName(u), u.toString(16));
    assert.equal(uuidKind(u), 'descriptor');
  }
});

const hexChars = (n: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF'), minLength: n, maxLength: n });

test('property: any 128-bit hex round trips through normalize, bytes and back', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
      const u = uuidFromBytes(bytes);
      assert.equal(normalizeUuid(u), u);
      assert.equal(normalizeUuid(u.toUpperCase()), u);
      assert.equal(normalizeUuid(u.replace(/-/g, '')), u);
      assert.deepEqual(uuidToBytes(u, 16), Buffer.from(bytes));
      assert.equal(normalizeUuid(shortUuid(u)), u);
    }),
    { numRuns: 2000 },
  );
});

test('property: 16/32-bit aliases round trip in every size that fits', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0xffffffff }), (n) => {
      const u = normalizeUuid(n);
      const hex = n.toString(16).padStart(n <= 0xffff ? 4 : 8, '0');
      assert.equal(normalizeUuid('0x' + hex), u);
      assert.equal(normalizeUuid(hex.toUpperCase()), u);
      for (const size of [2, 4, 16] as const) {
        if (size === 2 && n > 0xffff) {
          assert.throws(() => uuidToBytes(u, size), InvalidArgumentError);
          continue;
        }
        assert.equal(uuidFromBytes(uuidToBytes(u, size)), u);
      }
      assert.equal(normalizeUuid(shortUuid(u)), u);
      assert.equal(shortUuid(u).length, n <= 0xffff ? 4 : 8);
    }),
    { numRuns: 2000 },
  );
});

test('property: random strings are either valid UUIDs or InvalidArgumentError', () => {
  fc.assert(
    fc.property(fc.oneof(fc.string(), hexChars(4), hexChars(8), hexChars(32)), (s) => {
      try {
        const u = normalizeUuid(s);
        assert.equal(isUuid(s), true);
        assert.match(u, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      } catch (e) {
        assert.ok(e instanceof InvalidArgumentError);
        assert.equal(isUuid(s), false);
      }
    }),
    { numRuns: 3000 },
  );
});
