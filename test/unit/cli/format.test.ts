import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ScanResult } from '../../../src/central/index.js';
import { emptyAdvertisingData, normalizeUuid } from '../../../src/core/index.js';
import { scanRecord, servicesJson, servicesText } from '../../../src/cli/format.js';
import { ScanTable } from '../../../src/cli/scan-view.js';
import { sampleDb } from '../central/fake-backend.js';

function report(address: string, name: string | undefined, rssi?: number): ScanResult {
  const ad = emptyAdvertisingData();
  ad.serviceUuids.push(normalizeUuid('180d'));
  ad.manufacturerData.set(0xffff, Buffer.from([1, 2]));
  return { address, addressType: 'public', name, rssi, advertisement: ad, timestamp: 0 };
}

test('the GATT tree as text shows handles, SIG names, properties and descriptors', () => {
  const text = servicesText(sampleDb());
  assert.match(text, /^0x0010-0x0016 {2}service 180d Heart Rate$/m);
  assert.match(
    text,
    /^0x0012 {2}├─ 2a37 Heart Rate Measurement {2}\[write-without-response, write, notify\]$/m,
  );
  assert.match(text, /^0x0013 {2}│ {2}└─ 2902 Client Characteristic Configuration$/m);
  const json = servicesJson(sampleDb());
  assert.equal((json[0]?.characteristics as { valueHandle: number }[])[0]?.valueHandle, 0x12);
  assert.equal(json[1]?.name, 'Battery');
});

test('included services show in the text outline and in JSON', () => {
  const db = sampleDb();
  db[0]!.includes = [{ handle: 0x11, uuid: db[1]!.uuid, startHandle: 0x20, endHandle: 0x22 }];
  assert.match(servicesText(db), /^0x0011 {2}· {2}includes 0x0020-0x0022 180f Battery$/m);
  assert.deepEqual(servicesJson(db)[0]?.includes, [
    { handle: 0x11, uuid: db[1]!.uuid, startHandle: 0x20, endHandle: 0x22, name: 'Battery' },
  ]);
});

test('scan records are JSON-ready', () => {
  const rec = scanRecord(report('00:AA:01:01:00:01', 'hr', -40));
  assert.deepEqual(rec.manufacturerData, { '0xffff': '0102' });
  assert.deepEqual(rec.serviceUuids, ['0000180d-0000-1000-8000-00805f9b34fb']);
  assert.equal(rec.timestamp, '1970-01-01T00:00:00.000Z');
  assert.equal(rec.rssi, -40);
});

test('a report without an RSSI reading shows null in JSON and an empty table cell', () => {
  assert.equal(scanRecord(report('00:AA:01:01:00:01', 'hr')).rssi, null);
  const t = new ScanTable();
  t.update(report('00:AA:01:01:00:01', 'hr'));
  const row =
    t
      .render(120)
      .split('\n')
      .find((l) => l.includes('00:AA:01:01:00:01')) ?? '';
  assert.match(row, /│ hr\s*│\s*│ 180d/);
});

test('the live table keeps one row per device and updates it in place', () => {
  const t = new ScanTable();
  t.update(report('00:AA:01:01:00:01', 'first', -50));
  t.update(report('00:AA:01:01:00:02', undefined, -60));
  t.update(report('00:AA:01:01:00:01', undefined, -42));
  const text = t.render(120);
  assert.equal(t.size, 2);
  assert.equal(text.split('\n').filter((l) => l.includes('00:AA:01:01:00:01')).length, 1);
  const row = text.split('\n').find((l) => l.includes('00:AA:01:01:00:01')) ?? '';
  assert.match(row, /first/, 'a report without a name keeps the known name');
  assert.match(row, /-42/);
  assert.match(row, /180d \(Heart Rate\)/);
  assert.match(row, /0xffff:0102/);
  assert.match(row, /│ 2\s*│$/, 'seen twice');
  assert.ok(
    text.indexOf('00:AA:01:01:00:01') < text.indexOf('00:AA:01:01:00:02'),
    'first-seen order',
  );
});
