import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { DecodeError, normalizeUuid } from '../../../src/core/index.js';
import { decodeValue, hasDecoder, tryDecode } from '../../../src/protocol/decoders.js';
import { readFloat32, readSfloat } from '../../../src/protocol/sfloat.js';

const u = (x: string): string => normalizeUuid(x);
const hex = (s: string): Buffer => Buffer.from(s, 'hex');

test('battery level: percent, and above 100 is malformed', () => {
  assert.deepEqual(decodeValue(u('2a19'), hex('57')), {
    format: 'Battery Level',
    value: 87,
    text: '87 %',
  });
  assert.throws(() => decodeValue(u('2a19'), hex('65')), DecodeError);
  assert.throws(() => decodeValue(u('2a19'), hex('')), DecodeError);
  assert.throws(() => decodeValue(u('2a19'), hex('5700')), DecodeError);
});

test('heart rate measurement: uint8 and uint16 bpm, contact, energy, RR intervals', () => {
  assert.deepEqual(decodeValue(u('2a37'), hex('0048'))?.value, { bpm: 72 });
  assert.equal(decodeValue(u('2a37'), hex('0048'))?.text, '72 bpm');
  // uint16 bpm 300, contact supported and detected
  assert.deepEqual(decodeValue(u('2a37'), hex('072c01'))?.value, { bpm: 300, sensorContact: true });
  // energy 0x0102 kJ and two RR intervals 1024 -> 1 s, 512 -> 0.5 s
  const d = decodeValue(u('2a37'), hex('1848020100040002'));
  assert.deepEqual(d?.value, { bpm: 72, energyExpendedKj: 258, rrIntervalsS: [1, 0.5] });
  assert.equal(d?.text, '72 bpm, 258 kJ, RR 1, 0.5 s');
  assert.throws(() => decodeValue(u('2a37'), hex('01ff')), DecodeError); // uint16 cut short
  assert.throws(() => decodeValue(u('2a37'), hex('104800')), DecodeError); // odd RR bytes
  assert.throws(() => decodeValue(u('2a37'), hex('004800')), DecodeError); // trailing byte
  assert.throws(() => decodeValue(u('2a37'), hex('0848')), DecodeError); // energy missing
});

test('temperature measurement: FLOAT, unit, timestamp and type', () => {
  assert.deepEqual(decodeValue(u('2a1c'), hex('006d0100ff'))?.value, {
    temperature: 36.5,
    unit: '°C',
  });
  const full = decodeValue(u('2a1c'), hex('07' + '6d0100ff' + 'e8070c1f173b3a' + '02'));
  assert.deepEqual(full?.value, {
    temperature: 36.5,
    unit: '°F',
    timestamp: '2024-12-31T23:59:58',
    type: 'Body (general)',
  });
  assert.throws(() => decodeValue(u('2a1c'), hex('026d0100ff')), DecodeError);
  assert.equal(decodeValue(u('2a1e'), hex('006e0100ff'))?.text, '36.6 °C');
});

test('IEEE 11073 FLOAT and SFLOAT, with their special values', () => {
  assert.equal(readFloat32(hex('6d0100ff'), 0), 36.5);
  assert.equal(readFloat32(hex('ffffff00'), 0), -1);
  assert.ok(Number.isNaN(readFloat32(hex('ffff7f00'), 0)));
  assert.equal(readFloat32(hex('feff7f00'), 0), Infinity);
  assert.equal(readFloat32(hex('02008000'), 0), -Infinity);
  assert.equal(readSfloat(hex('72f0'), 0), 11.4); // mantissa 0x072 = 114, exponent -1
  assert.ok(Number.isNaN(readSfloat(hex('ff07'), 0)));
  assert.throws(() => readFloat32(hex('0000'), 0), DecodeError);
});

test('strings, appearance, PnP ID, system ID, connection parameters, CCCD', () => {
  assert.equal(decodeValue(u('2a00'), Buffer.from('blekit\0\0'))?.value, 'blekit');
  assert.throws(() => decodeValue(u('2a29'), hex('c328')), DecodeError);
  assert.equal(
    decodeValue(u('2a01'), hex('4103'))?.text,
    'Heart Rate Sensor: Heart Rate Belt (0x0341)',
  );
  assert.equal(decodeValue(u('2a01'), hex('4000'))?.text, 'Phone (0x0040)');
  assert.deepEqual(decodeValue(u('2a50'), hex('026b1d46023001'))?.value, {
    vendorIdSource: 'USB-IF',
    vendorId: 0x1d6b,
    productId: 0x0246,
    version: 0x0130,
  });
  assert.match(decodeValue(u('2a50'), hex('026b1d46023001'))?.text ?? '', /version 1\.3\.0/);
  assert.throws(() => decodeValue(u('2a50'), hex('026b1d')), DecodeError);
  assert.deepEqual(decodeValue(u('2a23'), hex('0102030405aabbcc'))?.value, {
    manufacturerId: 0x0504030201,
    oui: 0xccbbaa,
  });
  assert.equal(
    decodeValue(u('2a04'), hex('06000c0000006400'))?.text,
    'interval 7.5-15 ms, latency 0, timeout 1000 ms',
  );
  assert.equal(decodeValue(u('2902'), hex('0100'))?.text, 'notify');
  assert.equal(decodeValue(u('2902'), hex('0000'))?.text, 'off');
  assert.equal(decodeValue(u('2a38'), hex('01'))?.text, 'Chest');
  assert.equal(decodeValue(u('2a38'), hex('09'))?.text, 'reserved (9)');
  assert.equal(decodeValue(u('2a6e'), hex('3408'))?.text, '21 °C');
  assert.equal(decodeValue(u('2a6e'), hex('0080'))?.value, null);
});

test('unknown formats decode to undefined; tryDecode turns malformed bytes into a note', () => {
  assert.equal(decodeValue(u('6e400002-b5a3-f393-e0a9-e50e24dcca9e'), hex('00')), undefined);
  assert.equal(hasDecoder(u('2a37')), true);
  assert.equal(hasDecoder(u('ffff')), false);
  assert.match(tryDecode(u('2a19'), hex('ff')).decodeError ?? '', /above 100/);
});

test('every decoder either decodes or throws DecodeError on arbitrary bytes (never crashes)', () => {
  const uuids = [
    '2a00',
    '2a01',
    '2a04',
    '2a05',
    '2a06',
    '2a07',
    '2a19',
    '2a1c',
    '2a1d',
    '2a1e',
    '2a23',
    '2a24',
    '2a29',
    '2a37',
    '2a38',
    '2a50',
    '2a6e',
    '2a6f',
    '2900',
    '2901',
    '2902',
  ].map(u);
  fc.assert(
    fc.property(fc.constantFrom(...uuids), fc.uint8Array({ maxLength: 40 }), (id, bytes) => {
      try {
        const d = decodeValue(id, Buffer.from(bytes));
        assert.ok(d && typeof d.text === 'string' && d.format.length > 0);
      } catch (e) {
        assert.ok(e instanceof DecodeError, String(e));
      }
    }),
    { numRuns: 3000 },
  );
});
