import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseAdvertisingData } from '../../../src/protocol/index.js';
import { DecodeError } from '../../../src/core/errors.js';
import { APPLE_COMPANY_ID, decodeIBeacon, isIBeacon } from '../../../src/formats/ibeacon.js';
import { decodeEddystone, EDDYSTONE_UUID } from '../../../src/formats/eddystone.js';

const hex = (s: string) => Buffer.from(s.replace(/\s/g, ''), 'hex');

test('decodes an iBeacon from a whole advertisement', () => {
  // flags 06; manufacturer 004c: 02 15, UUID, major 1, minor 258, measured power -59
  const ad = parseAdvertisingData(
    hex('020106 1aff4c00 0215 e2c56db5dffb48d2b060d0f5a71096e0 0001 0102 c5'),
  );
  const data = ad.manufacturerData.get(APPLE_COMPANY_ID);
  assert.ok(data && isIBeacon(data));
  assert.deepEqual(decodeIBeacon(data), {
    uuid: 'e2c56db5-dffb-48d2-b060-d0f5a71096e0',
    major: 1,
    minor: 258,
    measuredPower: -59,
  });
});

test('iBeacon: wrong prefix or length is a DecodeError', () => {
  assert.throws(() => decodeIBeacon(hex('0115' + '00'.repeat(21))), DecodeError);
  assert.throws(() => decodeIBeacon(hex('0215' + '00'.repeat(20))), DecodeError);
  assert.throws(() => decodeIBeacon(hex('0215' + '00'.repeat(22))), DecodeError);
});

test('decodes Eddystone-UID with and without its reserved bytes', () => {
  const uid = hex('00 e7 00010203040506070809 0a0b0c0d0e0f');
  const expected = {
    frame: 'uid',
    txPower: -25,
    namespace: '00010203040506070809',
    instance: '0a0b0c0d0e0f',
  };
  assert.deepEqual(decodeEddystone(uid), expected);
  assert.deepEqual(decodeEddystone(Buffer.concat([uid, hex('0000')])), expected);
});

test('decodes Eddystone-URL schemes and expansion codes', () => {
  const ad = parseAdvertisingData(hex('020106 0303aafe 0e16aafe 10eb 01 6578616d706c65 07'));
  const data = ad.serviceData.get(EDDYSTONE_UUID);
  assert.ok(data);
  assert.deepEqual(decodeEddystone(data), {
    frame: 'url',
    txPower: -21,
    url: 'https://www.example.com',
  });
  assert.equal(
    (decodeEddystone(hex('10 00 03 676f6f2e676c2f5336 7a543650')) as { url: string }).url,
    'https://goo.gl/S6zT6P',
  );
  assert.equal(
    (decodeEddystone(hex('10 00 02 61 00 62')) as { url: string }).url,
    'http://a.com/b',
  );
});

test('decodes Eddystone-TLM, plain and encrypted', () => {
  assert.deepEqual(decodeEddystone(hex('20 00 0bb8 1980 00000064 00000e10')), {
    frame: 'tlm',
    version: 0,
    batteryMv: 3000,
    temperature: 25.5,
    advertisementCount: 100,
    uptimeSeconds: 360,
  });
  const noSensor = decodeEddystone(hex('20 00 0000 8000 00000001 00000001'));
  assert.equal((noSensor as { temperature: unknown }).temperature, null);
  const enc = decodeEddystone(hex('20 01' + 'ab'.repeat(16)));
  assert.equal((enc as { encrypted: string }).encrypted, 'ab'.repeat(16));
});

test('Eddystone: malformed frames are DecodeErrors', () => {
  for (const bad of [
    '',
    '00 e7 0001',
    '10 00 04 61',
    '10 00 01 61 0e',
    '10 00 01' + '61'.repeat(18),
    '20 00 0bb8',
    '20 02' + '00'.repeat(12),
    '30 00 0102030405060708',
  ]) {
    assert.throws(() => decodeEddystone(hex(bad)), DecodeError, bad);
  }
});

test('any bytes decode or fail with DecodeError', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
      for (const f of [decodeEddystone, decodeIBeacon]) {
        try {
          f(bytes);
        } catch (e) {
          assert.ok(e instanceof DecodeError, String(e));
        }
      }
    }),
    { numRuns: 2000 },
  );
});
