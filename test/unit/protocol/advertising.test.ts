import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  encodeAdvertisingData,
  parseAdvertisingData,
  splitAdStructures,
  type AdvertisingData,
} from '../../../src/protocol/index.js';
import { AdFlags } from '../../../src/protocol/ad-types.js';
import { DecodeError, InvalidArgumentError } from '../../../src/core/errors.js';
import { normalizeUuid } from '../../../src/core/uuid.js';

const hex = (s: string) => Buffer.from(s.replace(/\s/g, ''), 'hex');

test('parses a typical heart rate sensor advertisement', () => {
  // flags 0x06; complete 16-bit list 180d 180f; complete name "HRM"; tx power -8;
  // appearance 0x0341; manufacturer 0x004c: 01 02
  const ad = parseAdvertisingData(
    hex('020106 05030d180f18 040948524d 020af8 03194103 05ff4c000102'),
  );
  assert.equal(ad.flags, AdFlags.LeGeneralDiscoverable | AdFlags.BrEdrNotSupported);
  assert.deepEqual(ad.serviceUuids, [normalizeUuid('180d'), normalizeUuid('180f')]);
  assert.equal(ad.localName, 'HRM');
  assert.equal(ad.completeName, true);
  assert.equal(ad.shortName, undefined);
  assert.equal(ad.txPower, -8);
  assert.equal(ad.appearance, 0x0341);
  assert.deepEqual(ad.manufacturerData.get(0x004c), Buffer.from([1, 2]));
  assert.deepEqual(ad.raw, []);
});

test('parses 32/128-bit lists, solicitation, service data, intervals, URI and unknown types', () => {
  const u128 = '6e400001-b5a3-f393-e0a9-e50e24dcca9e';
  const u128le = '9ecadc240ee5a9e093f3a3b50100406e';
  const ad = parseAdvertisingData(
    Buffer.concat([
      hex('05 05 78563412'), // complete 32-bit list
      hex('11 06' + u128le), // incomplete 128-bit list
      hex('03 02 0d18'), // incomplete 16-bit list, duplicate of nothing yet
      hex('03 14 0a18'), // 16-bit solicitation
      hex('05 16 0f18 5a 01'), // service data 180f = 5a 01
      hex('12 21' + u128le + 'ff'), // service data 128
      hex('03 1a 2003'), // interval 0x0320
      hex('08 24 17 2f2f612e6263'), // URI https://a.bc
      hex('03 0d 0102'), // class of device: not decoded, kept raw
      hex('04 08 4142 43'), // shortened name ABC
    ]),
  );
  assert.deepEqual(ad.serviceUuids, [normalizeUuid(0x12345678), u128, normalizeUuid('180d')]);
  assert.deepEqual(ad.solicitUuids, [normalizeUuid('180a')]);
  assert.deepEqual(ad.serviceData.get(normalizeUuid('180f')), Buffer.from([0x5a, 0x01]));
  assert.deepEqual(ad.serviceData.get(u128), Buffer.from([0xff]));
  assert.equal(ad.advertisingInterval, 0x0320);
  assert.equal(ad.uri, 'https://a.bc');
  assert.deepEqual(ad.raw, [{ type: 0x0d, data: hex('0102') }]);
  assert.equal(ad.shortName, 'ABC');
  assert.equal(ad.localName, 'ABC');
  assert.equal(ad.completeName, false);
});

test('complete name wins over a shortened one in either order', () => {
  for (const data of [hex('0409414243 020841'), hex('020841 0409414243')]) {
    const ad = parseAdvertisingData(data);
    assert.equal(ad.localName, 'ABC');
    assert.equal(ad.shortName, 'A');
    assert.equal(ad.completeName, true);
  }
});

test('zero length ends the data; empty input is valid', () => {
  const ad = parseAdvertisingData(hex('020106 00 ffffffff'));
  assert.equal(ad.flags, 6);
  assert.deepEqual(parseAdvertisingData(Buffer.alloc(0)), {
    serviceUuids: [],
    solicitUuids: [],
    serviceData: new Map(),
    manufacturerData: new Map(),
    raw: [],
  });
  assert.deepEqual(parseAdvertisingData(Buffer.alloc(31)).raw, []);
});

test('long advertising interval (3 and 4 bytes) and URI without scheme abbreviation', () => {
  assert.equal(parseAdvertisingData(hex('04 2f 010203')).advertisingInterval, 0x030201);
  assert.equal(parseAdvertisingData(hex('05 2f 01020304')).advertisingInterval, 0x04030201);
  assert.equal(parseAdvertisingData(hex('05 24 01 613a62')).uri, 'a:b');
  // Unknown scheme code: not decoded, kept raw so nothing is lost.
  const ad = parseAdvertisingData(hex('03 24 0261'));
  assert.equal(ad.uri, undefined);
  assert.deepEqual(ad.raw, [{ type: 0x24, data: hex('0261') }]);
});

test('malformed data gives DecodeError with the offset', () => {
  const cases: [string, number][] = [
    ['05 09 4142', 0], // length past the end
    ['020106 0309', 3], // second structure truncated
    ['02', 0], // length byte only
    ['01 01', 0], // flags with no data
    ['03 0a 0102', 0], // tx power is one byte
    ['02 19 01', 0], // appearance is two bytes
    ['02 1a 01', 0], // interval is two bytes
    ['03 2f 0102', 0], // long interval is 3 or 4 bytes
    ['020106 04 03 0d180f', 3], // 16-bit list with an odd byte
    ['06 05 0102030405', 0], // 32-bit list of 5 bytes
    ['10 07 000102030405060708090a0b0c0d0e', 0], // 128-bit list of 15 bytes
    ['02 16 0d', 0], // service data shorter than its UUID
    ['02 ff 4c', 0], // manufacturer data without the full company id
  ];
  for (const [h, offset] of cases) {
    assert.throws(
      () => parseAdvertisingData(hex(h)),
      (e: unknown) => e instanceof DecodeError && e.offset === offset,
      h,
    );
  }
});

test('non-bytes input is InvalidArgumentError', () => {
  assert.throws(() => parseAdvertisingData('0201' as unknown as Buffer), InvalidArgumentError);
  assert.throws(() => splitAdStructures([2, 1, 6] as unknown as Buffer), InvalidArgumentError);
});

test('decoded buffers do not alias the input', () => {
  const input = hex('05ff4c000102');
  const ad = parseAdvertisingData(input);
  input[4] = 0xee;
  assert.deepEqual(ad.manufacturerData.get(0x4c), Buffer.from([1, 2]));
});

test('encode vectors', () => {
  assert.deepEqual(
    encodeAdvertisingData({
      flags: 6,
      serviceUuids: ['180d', '0x180F'],
      localName: 'HRM',
      txPower: -8,
    }),
    hex('020106 05030d180f18 040948524d 020af8'),
  );
  assert.deepEqual(encodeAdvertisingData({}), Buffer.alloc(0));
  assert.deepEqual(
    encodeAdvertisingData({
      serviceUuids: ['180d', 0x12345678, '6e400001-b5a3-f393-e0a9-e50e24dcca9e', '180D'],
    }),
    hex('03030d18 050578563412 1107 9ecadc240ee5a9e093f3a3b50100406e'),
  );
  assert.deepEqual(
    encodeAdvertisingData({ localName: 'HRM-long', shortName: 'HRM' }),
    hex('090948524d2d6c6f6e67 040848524d'),
  );
  assert.deepEqual(
    encodeAdvertisingData({ localName: 'HR', completeName: false }),
    hex('03084852'),
  );
  assert.deepEqual(encodeAdvertisingData({ uri: 'https://a.bc' }), hex('0824172f2f612e6263'));
  assert.deepEqual(encodeAdvertisingData({ uri: 'http:x' }), hex('032416 78'));
  assert.deepEqual(encodeAdvertisingData({ uri: 'a:b' }), hex('052401613a62'));
  assert.deepEqual(encodeAdvertisingData({ advertisingInterval: 0x10000 }), hex('042f000001'));
  assert.deepEqual(encodeAdvertisingData({ advertisingInterval: 0x1000000 }), hex('052f00000001'));
  assert.deepEqual(
    encodeAdvertisingData({
      serviceData: new Map([['180f', Buffer.from([0x5a])]]),
      manufacturerData: new Map([[0x4c, Buffer.from([1])]]),
    }),
    hex('0416 0f18 5a 04ff 4c00 01'),
  );
  assert.deepEqual(
    encodeAdvertisingData({ raw: [{ type: 0x0d, data: hex('0102') }] }),
    hex('030d0102'),
  );
});

test('encode checks ranges, structure size and maxLength', () => {
  const bad: object[] = [
    { flags: 256 },
    { flags: -1 },
    { txPower: 128 },
    { txPower: 1.5 },
    { appearance: 0x10000 },
    { advertisingInterval: -1 },
    { manufacturerData: new Map([[0x10000, Buffer.alloc(0)]]) },
    { serviceUuids: ['nope'] },
    { serviceData: new Map([['nope', Buffer.alloc(0)]]) },
    { raw: [{ type: 0x100, data: Buffer.alloc(0) }] },
    { localName: 'x'.repeat(255) },
    { localName: 42 },
    { shortName: Buffer.from('x') },
    { uri: 1 },
    { serviceUuids: '180d' },
    { serviceData: { '180d': Buffer.alloc(1) } },
    { serviceData: new Map([['180d', 'text']]) },
    { manufacturerData: new Map([[1, [1, 2]]]) },
    { raw: [{ type: 1, data: 'x' }] },
    { raw: [{ type: 1.5, data: Buffer.alloc(0) }] },
    { raw: [null] },
    { raw: 'x' },
  ];
  for (const b of bad)
    assert.throws(() => encodeAdvertisingData(b), InvalidArgumentError, JSON.stringify(b));
  assert.equal(encodeAdvertisingData({ localName: 'x'.repeat(254) }).length, 256);
  for (const bad of [null, undefined, 'x', 5]) {
    assert.throws(() => encodeAdvertisingData(bad as never), InvalidArgumentError);
  }
  for (const maxLength of [-1, 1.5, NaN]) {
    assert.throws(() => encodeAdvertisingData({}, { maxLength }), InvalidArgumentError);
  }
  assert.deepEqual(encodeAdvertisingData({}, { maxLength: 0 }), Buffer.alloc(0));
  assert.equal(encodeAdvertisingData({ localName: 'x'.repeat(29) }, { maxLength: 31 }).length, 31);
  assert.throws(
    () => encodeAdvertisingData({ localName: 'x'.repeat(30) }, { maxLength: 31 }),
    InvalidArgumentError,
  );
});

// --- properties ---

const uuidArb = fc.oneof(
  fc.integer({ min: 0, max: 0xffff }).map((n) => normalizeUuid(n)),
  fc.integer({ min: 0x10000, max: 0xffffffff }).map((n) => normalizeUuid(n)),
  fc
    .uint8Array({ minLength: 16, maxLength: 16 })
    .map((b) => normalizeUuid(Buffer.from(b).toString('hex'))),
);
const bytesArb = fc.uint8Array({ maxLength: 20 }).map((b) => Buffer.from(b));
const nameArb = fc.string({ maxLength: 20 });
// Known types are never put in raw by the parser, so only unknown ones are generated for it.
const KNOWN = new Set([
  1, 2, 3, 4, 5, 6, 7, 8, 9, 0x0a, 0x14, 0x15, 0x16, 0x19, 0x1a, 0x1f, 0x20, 0x21, 0x24, 0x2f, 0xff,
]);
const rawArb = fc
  .record({
    type: fc.integer({ min: 0, max: 255 }).filter((t) => !KNOWN.has(t)),
    data: bytesArb,
  })
  .map((r) => ({ type: r.type, data: r.data }));

const adArb: fc.Arbitrary<AdvertisingData> = fc
  .record(
    {
      flags: fc.integer({ min: 0, max: 255 }),
      names: fc.oneof(
        fc.record({ localName: nameArb, completeName: fc.constant(true) }),
        fc.record({ localName: nameArb, shortName: nameArb, completeName: fc.constant(true) }),
        nameArb.map((n) => ({ localName: n, shortName: n, completeName: false })),
      ),
      txPower: fc.integer({ min: -128, max: 127 }),
      serviceUuids: fc.uniqueArray(uuidArb, { maxLength: 5 }),
      solicitUuids: fc.uniqueArray(uuidArb, { maxLength: 3 }),
      serviceData: fc.uniqueArray(fc.tuple(uuidArb, bytesArb), {
        maxLength: 3,
        selector: (t) => t[0],
      }),
      manufacturerData: fc.uniqueArray(fc.tuple(fc.integer({ min: 0, max: 0xffff }), bytesArb), {
        maxLength: 3,
        selector: (t) => t[0],
      }),
      appearance: fc.integer({ min: 0, max: 0xffff }),
      advertisingInterval: fc.integer({ min: 0, max: 0xffffffff }),
      uri: fc.oneof(
        fc.string({ maxLength: 20 }).map((s) => 'https:' + s),
        fc.constant('http://x'),
        fc.constant('urn:a'),
      ),
      raw: fc.array(rawArb, { maxLength: 3 }),
    },
    { requiredKeys: ['serviceUuids', 'solicitUuids', 'serviceData', 'manufacturerData', 'raw'] },
  )
  .map(({ names, serviceData, manufacturerData, ...rest }) => ({
    ...rest,
    ...(names ?? {}),
    serviceData: new Map(serviceData),
    manufacturerData: new Map(manufacturerData),
  }));

function sortedUuids(a: string[]): string[] {
  return [...a].sort();
}

test('property: encode then parse gives the same data back', () => {
  fc.assert(
    fc.property(adArb, (ad) => {
      const back = parseAdvertisingData(encodeAdvertisingData(ad));
      // Lists are regrouped by UUID size on encoding, so compare as sets.
      assert.deepEqual(sortedUuids(back.serviceUuids), sortedUuids(ad.serviceUuids));
      assert.deepEqual(sortedUuids(back.solicitUuids), sortedUuids(ad.solicitUuids));
      assert.deepEqual(
        { ...back, serviceUuids: [], solicitUuids: [] },
        { ...ad, serviceUuids: [], solicitUuids: [] },
      );
    }),
    { numRuns: 2000 },
  );
});

test('property: parse never throws anything but DecodeError on random bytes', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
      try {
        parseAdvertisingData(b);
      } catch (e) {
        if (!(e instanceof DecodeError)) throw e;
        assert.ok(typeof e.offset === 'number' && e.offset >= 0 && e.offset < b.length);
      }
    }),
    { numRuns: 10_000 },
  );
});

test('property: well-framed random structures parse, and re-encode to parse the same', () => {
  const structArb = fc.record({
    type: fc.integer({ min: 0, max: 255 }),
    data: fc.uint8Array({ maxLength: 30 }),
  });
  fc.assert(
    fc.property(fc.array(structArb, { maxLength: 8 }), (structs) => {
      const bytes = Buffer.concat(
        structs.map((s) => Buffer.concat([Buffer.from([s.data.length + 1, s.type]), s.data])),
      );
      let ad: AdvertisingData;
      try {
        ad = parseAdvertisingData(bytes);
      } catch (e) {
        if (e instanceof DecodeError) return; // a known type with a wrong-size payload
        throw e;
      }
      assert.equal(splitAdStructures(bytes).length, structs.length);
      const again = parseAdvertisingData(encodeAdvertisingData(ad));
      assert.deepEqual(sortedUuids(again.serviceUuids), sortedUuids(ad.serviceUuids));
      assert.equal(again.localName, ad.localName);
      assert.deepEqual(again.manufacturerData, ad.manufacturerData);
      assert.deepEqual(again.serviceData, ad.serviceData);
    }),
    { numRuns: 3000 },
  );
});

test('property: flipping bytes of valid data still yields data or DecodeError', () => {
  fc.assert(
    fc.property(
      adArb,
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), {
        minLength: 1,
        maxLength: 4,
      }),
      (ad, flips) => {
        const bytes = encodeAdvertisingData(ad);
        if (bytes.length === 0) return;
        for (const [pos, v] of flips) bytes[pos % bytes.length] = v;
        try {
          parseAdvertisingData(bytes);
        } catch (e) {
          if (!(e instanceof DecodeError)) throw e;
        }
      },
    ),
    { numRuns: 3000 },
  );
});

test('parse is linear: 64 KiB of one-byte structures decodes quickly', () => {
  const big = Buffer.alloc(65536);
  for (let i = 0; i < big.length; i += 2) {
    big[i] = 1;
    big[i + 1] = 0x42; // unknown type with no data
  }
  const t0 = process.hrtime.bigint();
  const ad = parseAdvertisingData(big);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  assert.equal(ad.raw.length, 32768);
  assert.ok(ms < 2000, `took ${ms} ms`);
});
