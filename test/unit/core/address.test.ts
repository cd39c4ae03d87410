import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  addressFromBytes,
  addressToBytes,
  isAddress,
  isAddressType,
  normalizeAddress,
  randomAddressKind,
} from '../../../src/core/address.js';
import { DecodeError, InvalidArgumentError } from '../../../src/core/errors.js';

test('normalizeAddress accepts colons, dashes and any case', () => {
  assert.equal(normalizeAddress('00:aa:01:01:00:01'), '00:AA:01:01:00:01');
  assert.equal(normalizeAddress('00-AA-01-01-00-01'), '00:AA:01:01:00:01');
  assert.equal(normalizeAddress('Fe:dC:bA:98:76:54'), 'FE:DC:BA:98:76:54');
});

test('normalizeAddress rejects everything else', () => {
  const bad: unknown[] = [
    '',
    '00:AA:01:01:00',
    '00:AA:01:01:00:01:02',
    '00AA01010001',
    '00:AA-01:01:00:01',
    '0:AA:01:01:00:01',
    '000:AA:01:01:00:01',
    'GG:AA:01:01:00:01',
    ' 00:AA:01:01:00:01',
    '00:AA:01:01:00:01 ',
    '00.AA.01.01.00.01',
    '00:AA:01:01:00:01\n',
    0x00aa01010001,
    null,
    undefined,
  ];
  for (const b of bad) {
    assert.throws(() => normalizeAddress(b as string), InvalidArgumentError, String(b));
    assert.equal(isAddress(b), false, String(b));
  }
});

test('addressToBytes / addressFromBytes are little-endian', () => {
  assert.deepEqual(
    addressToBytes('00:AA:01:01:00:01'),
    Buffer.from([0x01, 0x00, 0x01, 0x01, 0xaa, 0x00]),
  );
  assert.equal(
    addressFromBytes(Buffer.from([0x01, 0x00, 0x01, 0x01, 0xaa, 0x00])),
    '00:AA:01:01:00:01',
  );
  assert.equal(
    addressFromBytes(Buffer.from([9, 9, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11]), 2),
    '11:22:33:44:55:66',
  );
  assert.equal(
    addressFromBytes(new Uint8Array([0xff, 0xee, 0xdd, 0xcc, 0xbb, 0xaa])),
    'AA:BB:CC:DD:EE:FF',
  );
});

test('addressFromBytes rejects short input and bad offsets', () => {
  assert.throws(() => addressFromBytes(Buffer.alloc(5)), DecodeError);
  assert.throws(() => addressFromBytes(Buffer.alloc(8), 3), DecodeError);
  assert.throws(() => addressFromBytes(Buffer.alloc(8), -1), DecodeError);
  assert.throws(() => addressFromBytes(Buffer.alloc(8), 0.5), DecodeError);
  assert.throws(() => addressToBytes('nope'), InvalidArgumentError);
});

test('randomAddressKind from the top two bits', () => {
  assert.equal(randomAddressKind('C0:00:00:00:00:00'), 'static');
  assert.equal(randomAddressKind('FF:FF:FF:FF:FF:FF'), 'static');
  assert.equal(randomAddressKind('40:11:22:33:44:55'), 'resolvable');
  assert.equal(randomAddressKind('7F:11:22:33:44:55'), 'resolvable');
  assert.equal(randomAddressKind('00:11:22:33:44:55'), 'non-resolvable');
  assert.equal(randomAddressKind('3f-11-22-33-44-55'), 'non-resolvable');
  assert.throws(() => randomAddressKind('80:11:22:33:44:55'), InvalidArgumentError);
  assert.throws(() => randomAddressKind('bad'), InvalidArgumentError);
});

test('property: address bytes round trip', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 6, maxLength: 6 }),
      fc.boolean(),
      fc.boolean(),
      (b, dash, lower) => {
        const addr = addressFromBytes(b);
        assert.equal(isAddress(addr), true);
        assert.deepEqual(addressToBytes(addr), Buffer.from(b));
        let variant = dash ? addr.replace(/:/g, '-') : addr;
        if (lower) variant = variant.toLowerCase();
        assert.equal(normalizeAddress(variant), addr);
      },
    ),
    { numRuns: 2000 },
  );
});

test('property: random strings are addresses or InvalidArgumentError', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 20 }), (s) => {
      if (isAddress(s)) assert.match(normalizeAddress(s), /^([0-9A-F]{2}:){5}[0-9A-F]{2}$/);
      else assert.throws(() => normalizeAddress(s), InvalidArgumentError);
    }),
    { numRuns: 2000 },
  );
});

test('isAddressType', () => {
  assert.equal(isAddressType('public'), true);
  assert.equal(isAddressType('random'), true);
  for (const v of ['Public', 'static', '', 0, 1, null]) assert.equal(isAddressType(v), false);
});
