import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseAdvertisingData } from '../../../src/protocol/index.js';
import { DecodeError, InvalidArgumentError } from '../../../src/core/errors.js';
import { BTHOME_UUID, decodeBthome, encodeBthome } from '../../../src/formats/bthome.js';

const hex = (s: string) => Buffer.from(s.replace(/\s/g, ''), 'hex');
const values = (s: string) =>
  decodeBthome(hex(s)).measurements.map((m) => [m.name, m.value, m.unit]);

// The encryption example of bthome.io/encryption: key, address and counter from the page; the
// ciphertext and MIC were computed with Python's `cryptography` AESCCM (an independent AES-CCM).
const KEY = '231d39c1d7cc1ab1aee224cd096db932';
const ADDRESS = '54:48:E6:8F:80:A5';
const ENCRYPTED = '41 a47266c95f73 00112233 78237214';

test('decodes the per-object examples of the BTHome format page', () => {
  assert.deepEqual(values('40 00 09'), [['packet_id', 9, undefined]]);
  assert.deepEqual(values('40 01 61'), [['battery', 97, '%']]);
  assert.deepEqual(values('40 02 ca09'), [['temperature', 25.06, '°C']]);
  assert.deepEqual(values('40 03 bf13'), [['humidity', 50.55, '%']]);
  assert.deepEqual(values('40 04 138a01'), [['pressure', 1008.83, 'hPa']]);
  assert.deepEqual(values('40 05 138a14'), [['illuminance', 13460.67, 'lx']]);
  assert.deepEqual(values('40 0a 138a14'), [['energy', 1346.067, 'kWh']]);
  assert.deepEqual(values('40 0b 021b00'), [['power', 69.14, 'W']]);
  assert.deepEqual(values('40 0c 020c'), [['voltage', 3.074, 'V']]);
  assert.deepEqual(values('40 12 e204'), [['carbon_dioxide', 1250, 'ppm']]);
  assert.deepEqual(values('40 2e 23'), [['humidity', 35, '%']]);
  assert.deepEqual(values('40 45 1101'), [['temperature', 27.3, '°C']]);
  assert.deepEqual(values('40 21 01'), [['motion', true, undefined]]);
  assert.deepEqual(values('40 3a 01'), [['button', 'press', undefined]]);
  assert.deepEqual(values('40 3c 0103'), [
    ['dimmer', { event: 'rotate_left', steps: 3 }, undefined],
  ]);
  assert.deepEqual(values('40 53 0548656c6c6f'), [['text', 'Hello', undefined]]);
  assert.deepEqual(values('40 f1 00010204'), [['firmware_version', '4.2.1.0', undefined]]);
});

test('decodes signed values below zero', () => {
  // -12.34 °C is -1234 = 0xfb2e as int16 little-endian.
  assert.deepEqual(values('40 02 2efb'), [['temperature', -12.34, '°C']]);
});

test('decodes a whole advertisement carrying BTHome service data', () => {
  // flags 06; complete name "DIY-sensor"; service data fcd2: 40 02c409 03bf13
  const ad = parseAdvertisingData(hex('020106 0b094449592d73656e736f72 0a16d2fc4002c40903bf13'));
  const data = ad.serviceData.get(BTHOME_UUID);
  assert.ok(data);
  const p = decodeBthome(data);
  assert.equal(p.encrypted, false);
  assert.equal(p.triggerBased, false);
  assert.deepEqual(
    p.measurements.map((m) => [m.name, m.value]),
    [
      ['temperature', 25],
      ['humidity', 50.55],
    ],
  );
});

test('decrypts the encryption example with the bind key', () => {
  const p = decodeBthome(hex(ENCRYPTED), { bindKey: KEY, address: ADDRESS });
  assert.equal(p.encrypted, true);
  assert.equal(p.counter, 0x33221100);
  assert.deepEqual(
    p.measurements.map((m) => [m.name, m.value]),
    [
      ['temperature', 25.06],
      ['humidity', 50.55],
    ],
  );
});

test('an encrypted packet without a key is reported locked; a wrong key is a DecodeError', () => {
  const locked = decodeBthome(hex(ENCRYPTED));
  assert.equal(locked.locked, true);
  assert.equal(locked.counter, 0x33221100);
  assert.deepEqual(locked.measurements, []);
  assert.throws(
    () => decodeBthome(hex(ENCRYPTED), { bindKey: KEY.replace(/^23/, '24'), address: ADDRESS }),
    DecodeError,
  );
  assert.throws(
    () => decodeBthome(hex(ENCRYPTED), { bindKey: KEY, address: '54:48:E6:8F:80:A6' }),
    DecodeError,
  );
  assert.throws(
    () => decodeBthome(hex(ENCRYPTED), { bindKey: '0011', address: ADDRESS }),
    InvalidArgumentError,
  );
});

test('encodes to the same bytes, plain and encrypted', () => {
  const plain = encodeBthome([
    { object: 'humidity', value: 50.55 },
    { object: 'temperature', value: 25.06 },
  ]);
  assert.equal(plain.toString('hex'), '4002ca0903bf13');
  const enc = encodeBthome(
    [
      { object: 'temperature', value: 25.06 },
      { object: 'humidity', value: 50.55 },
    ],
    { bindKey: KEY, address: ADDRESS, counter: 0x33221100 },
  );
  assert.equal(enc.toString('hex'), hex(ENCRYPTED).toString('hex'));
  assert.equal(
    encodeBthome([{ object: 'motion', value: true }], { triggerBased: true }).toString('hex'),
    '442101',
  );
});

test('encoding refuses unknown objects, wrong types and values out of range', () => {
  assert.throws(() => encodeBthome([{ object: 'flux', value: 1 }]), InvalidArgumentError);
  assert.throws(() => encodeBthome([{ object: 'battery', value: 256 }]), InvalidArgumentError);
  assert.throws(() => encodeBthome([{ object: 'temperature', value: 400 }]), InvalidArgumentError);
  assert.throws(() => encodeBthome([{ object: 'motion', value: 1 }]), InvalidArgumentError);
  assert.throws(
    () => encodeBthome([{ object: 'battery', value: Number.NaN }]),
    InvalidArgumentError,
  );
  assert.throws(
    () => encodeBthome([{ object: 'battery', value: 1 }], { bindKey: KEY, address: ADDRESS }),
    InvalidArgumentError,
  );
});

test('malformed bytes are DecodeErrors: truncated objects, other versions, empty', () => {
  assert.throws(() => decodeBthome(hex('')), DecodeError);
  assert.throws(() => decodeBthome(hex('20 02ca09')), DecodeError); // version 1
  assert.throws(() => decodeBthome(hex('40 02ca')), DecodeError);
  assert.throws(() => decodeBthome(hex('40 53 05414243')), DecodeError);
  assert.throws(() => decodeBthome(hex('41 0011')), DecodeError);
});

test('an unknown object id stops decoding but keeps what came before', () => {
  const p = decodeBthome(hex('40 0161 ee 0102'));
  assert.deepEqual(
    p.measurements.map((m) => m.name),
    ['battery'],
  );
  assert.equal(p.unknownObjectId, 0xee);
});

test('any bytes decode or fail with DecodeError, never anything else', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), fc.boolean(), (bytes, keyed) => {
      try {
        decodeBthome(bytes, keyed ? { bindKey: KEY, address: ADDRESS } : {});
      } catch (e) {
        assert.ok(e instanceof DecodeError, String(e));
      }
    }),
    { numRuns: 2000 },
  );
});

test('encode then decode gives the values back', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: -32768, max: 32767 }),
      fc.integer({ min: 0, max: 100 }),
      fc.integer({ min: 0, max: 0xffffffff }),
      (t, battery, counter) => {
        const input = [
          { object: 'battery', value: battery },
          { object: 'temperature', value: t / 100 },
        ];
        const enc = encodeBthome(input, { bindKey: KEY, address: ADDRESS, counter });
        const p = decodeBthome(enc, { bindKey: KEY, address: ADDRESS });
        assert.equal(p.counter, counter);
        assert.deepEqual(
          p.measurements.map((m) => m.value),
          [battery, t / 100],
        );
      },
    ),
    { numRuns: 300 },
  );
});
