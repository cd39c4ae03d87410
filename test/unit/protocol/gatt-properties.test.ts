import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  CHARACTERISTIC_FLAGS,
  CharacteristicPropertyBit,
  flagsToProperties,
  isCharacteristicFlag,
  propertiesToFlags,
} from '../../../src/protocol/gatt-properties.js';
import { InvalidArgumentError } from '../../../src/core/errors.js';

test('propertiesToFlags vectors', () => {
  assert.deepEqual(propertiesToFlags(0x00), []);
  assert.deepEqual(propertiesToFlags(0x02), ['read']);
  assert.deepEqual(propertiesToFlags(0x1a), ['read', 'write', 'notify']);
  assert.deepEqual(propertiesToFlags(0xff), [
    'broadcast',
    'read',
    'write-without-response',
    'write',
    'notify',
    'indicate',
    'authenticated-signed-writes',
    'extended-properties',
  ]);
  assert.deepEqual(propertiesToFlags(0x88, 0x0003), [
    'write',
    'extended-properties',
    'reliable-write',
    'writable-auxiliaries',
  ]);
});

test('propertiesToFlags rejects non-bytes', () => {
  for (const p of [-1, 256, 1.5, NaN])
    assert.throws(() => propertiesToFlags(p), InvalidArgumentError);
  assert.throws(() => propertiesToFlags(0, 0x10000), InvalidArgumentError);
});

test('flagsToProperties folds security flags into their base property', () => {
  assert.equal(flagsToProperties([]), 0);
  assert.equal(flagsToProperties(['encrypt-read', 'secure-write']), 0x0a);
  assert.equal(flagsToProperties(['encrypt-authenticated-notify', 'secure-indicate']), 0x30);
  assert.equal(flagsToProperties(['reliable-write']), CharacteristicPropertyBit.ExtendedProperties);
  assert.equal(flagsToProperties(['authorize', 'read']), 0x02);
  assert.throws(() => flagsToProperties(['read', 'Read']), InvalidArgumentError);
  assert.throws(() => flagsToProperties(['notify-encrypted']), InvalidArgumentError);
});

test('isCharacteristicFlag', () => {
  assert.equal(CHARACTERISTIC_FLAGS.length, 23);
  for (const f of CHARACTERISTIC_FLAGS) assert.equal(isCharacteristicFlag(f), true);
  for (const f of ['', 'READ', 'toString', 1, null]) assert.equal(isCharacteristicFlag(f), false);
});

test('property: properties byte round trips through flags', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0xff }), (p) => {
      assert.equal(flagsToProperties(propertiesToFlags(p)), p);
    }),
    { numRuns: 256 },
  );
});
