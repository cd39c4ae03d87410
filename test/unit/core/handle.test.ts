import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatHandle, validateHandle } from '../../../src/core/handle.js';
import { InvalidArgumentError } from '../../../src/core/errors.js';

test('validateHandle accepts numbers, hex and decimal strings', () => {
  assert.equal(validateHandle(1), 1);
  assert.equal(validateHandle(0xffff), 0xffff);
  assert.equal(validateHandle('0x002a'), 42);
  assert.equal(validateHandle('0X2A'), 42);
  assert.equal(validateHandle('42'), 42);
  assert.equal(validateHandle('65535'), 65535);
  assert.equal(validateHandle('0xffff'), 0xffff);
});

test('validateHandle rejects out of range and malformed', () => {
  const bad: unknown[] = [
    0,
    -1,
    0x10000,
    1.5,
    NaN,
    Infinity,
    '0',
    '0x0',
    '0x10000',
    '65536',
    '',
    ' 42',
    '42 ',
    '0x',
    'x2a',
    '2a',
    '+42',
    '-1',
    '1e3',
    '0x002a0',
    null,
    undefined,
    {},
  ];
  for (const b of bad)
    assert.throws(() => validateHandle(b as number), InvalidArgumentError, String(b));
});

test('formatHandle', () => {
  assert.equal(formatHandle(42), '0x002a');
  assert.equal(formatHandle(0xffff), '0xffff');
  assert.throws(() => formatHandle(0), InvalidArgumentError);
});

test('property: every valid handle round trips via both string forms', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 0xffff }), (h) => {
      assert.equal(validateHandle(formatHandle(h)), h);
      assert.equal(validateHandle(String(h)), h);
    }),
    { numRuns: 1000 },
  );
});
