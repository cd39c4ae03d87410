import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatValue, parseHex, parseValue, toBuffer, toHex } from '../../../src/core/bytes.js';
import { InvalidArgumentError } from '../../../src/core/errors.js';

const DEAD = Buffer.from([0xde, 0xad]);

test('parseHex accepts the documented forms', () => {
  for (const s of [
    'dead',
    'DEAD',
    'de ad',
    'de:ad',
    'de-ad',
    '0xdead',
    '0XDEAD',
    '  de  ad ',
    '0xde ad',
  ]) {
    assert.deepEqual(parseHex(s), DEAD, s);
  }
  assert.deepEqual(parseHex(''), Buffer.alloc(0));
  assert.deepEqual(parseHex('0x'), Buffer.alloc(0));
  assert.deepEqual(parseHex('01 0203'), Buffer.from([1, 2, 3]));
});

test('parseHex rejects odd length and bad characters', () => {
  for (const s of [
    'd',
    'dea',
    'de a',
    'zz',
    'de:a',
    '0x0xde',
    'de,ad',
    'dé',
    'de\u0000ad',
    'd e a d',
  ]) {
    assert.throws(() => parseHex(s), InvalidArgumentError, s);
  }
  assert.throws(() => parseHex(42 as unknown as string), InvalidArgumentError);
  assert.throws(() => parseHex('0x 0x'), InvalidArgumentError);
  assert.throws(() => toHex('dead' as unknown as Buffer), InvalidArgumentError);
  assert.throws(() => formatValue([1] as unknown as Buffer, 'hex'), InvalidArgumentError);
});

test('toHex with and without separators', () => {
  assert.equal(toHex(DEAD), 'dead');
  assert.equal(toHex(DEAD, ' '), 'de ad');
  assert.equal(toHex(new Uint8Array([1, 2, 3]), ':'), '01:02:03');
  assert.equal(toHex(Buffer.alloc(0), ':'), '');
  assert.equal(toHex(Buffer.from([0xab]), ':'), 'ab');
  const big = new Uint8Array([9, 8, 7, 6]);
  assert.equal(toHex(big.subarray(1, 3)), '0807');
});

test('parseValue and formatValue', () => {
  assert.deepEqual(parseValue('de ad', 'hex'), DEAD);
  assert.deepEqual(parseValue('héllo', 'utf8'), Buffer.from('héllo', 'utf8'));
  assert.deepEqual(parseValue('3q0=', 'base64'), DEAD);
  assert.deepEqual(parseValue('3q0', 'base64'), DEAD);
  assert.deepEqual(parseValue('', 'base64'), Buffer.alloc(0));
  assert.throws(() => parseValue('3q0==', 'base64'), InvalidArgumentError);
  assert.throws(() => parseValue('3q!0', 'base64'), InvalidArgumentError);
  assert.throws(() => parseValue('a', 'base64'), InvalidArgumentError);
  assert.throws(() => parseValue('x', 'json' as 'hex'), InvalidArgumentError);
  assert.equal(formatValue(DEAD, 'hex'), 'dead');
  assert.equal(formatValue(DEAD, 'base64'), '3q0=');
  assert.equal(formatValue(Buffer.from('hi'), 'utf8'), 'hi');
  assert.throws(() => formatValue(DEAD, 'x' as 'hex'), InvalidArgumentError);
});

test('toBuffer copies and validates', () => {
  const src = Buffer.from([1, 2]);
  const out = toBuffer(src);
  assert.deepEqual(out, src);
  src[0] = 9;
  assert.equal(out[0], 1);
  assert.deepEqual(toBuffer(new Uint8Array([3, 4])), Buffer.from([3, 4]));
  assert.deepEqual(toBuffer([0, 255]), Buffer.from([0, 255]));
  assert.deepEqual(toBuffer('hé'), Buffer.from('hé', 'utf8'));
  assert.deepEqual(toBuffer([]), Buffer.alloc(0));
  for (const bad of [[256], [-1], [1.5], [NaN], ['1'], [null]]) {
    assert.throws(() => toBuffer(bad as number[]), InvalidArgumentError, String(bad));
  }
  for (const bad of [42, null, undefined, {}, new ArrayBuffer(2)]) {
    assert.throws(() => toBuffer(bad as never), InvalidArgumentError);
  }
});

test('property: hex round trips in every separator style', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 64 }),
      fc.constantFrom('', ' ', ':', '-'),
      fc.boolean(),
      (b, sep, prefix) => {
        const text = (prefix ? '0x' : '') + toHex(b, sep);
        assert.deepEqual(parseHex(text), Buffer.from(b));
        assert.deepEqual(parseHex(text.toUpperCase()), Buffer.from(b));
      },
    ),
    { numRuns: 1000 },
  );
});

test('property: formatValue/parseValue round trip for hex and base64', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 64 }),
      fc.constantFrom('hex' as const, 'base64' as const),
      (b, f) => {
        assert.deepEqual(parseValue(formatValue(b, f), f), Buffer.from(b));
      },
    ),
    { numRuns: 1000 },
  );
});
