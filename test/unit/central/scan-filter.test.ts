import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  advertisementChanged,
  compileScanFilter,
  matchesScanFilter,
} from '../../../src/central/scan-filter.js';
import type { ScanResult } from '../../../src/central/types.js';
import { InvalidArgumentError, emptyAdvertisingData } from '../../../src/core/index.js';

function report(over: Partial<ScanResult> = {}): ScanResult {
  const advertisement = emptyAdvertisingData();
  advertisement.serviceUuids.push('0000180d-0000-1000-8000-00805f9b34fb');
  advertisement.manufacturerData.set(0x05f1, Buffer.from([1, 2]));
  return {
    address: '00:AA:01:01:00:01',
    addressType: 'public',
    name: 'blekit-hr',
    rssi: -60,
    advertisement,
    timestamp: 0,
    ...over,
  };
}

test('bad filters are rejected before any I/O', () => {
  assert.throws(() => compileScanFilter({ serviceUuids: ['nope'] }), InvalidArgumentError);
  assert.throws(() => compileScanFilter({ manufacturerId: 0x10000 }), InvalidArgumentError);
  assert.throws(() => compileScanFilter({ minRssi: NaN }), InvalidArgumentError);
  assert.throws(() => compileScanFilter({ addresses: ['00:11'] }), InvalidArgumentError);
  assert.throws(() => compileScanFilter({ nameContains: 5 as never }), InvalidArgumentError);
});

test('each criterion keeps matching reports and drops others', () => {
  const r = report();
  const yes = [
    {},
    { nameContains: 'hr' },
    { serviceUuids: ['180d'] },
    { serviceUuids: ['180f', 0x180d] },
    { manufacturerId: 0x05f1 },
    { minRssi: -60 },
    { addresses: ['00-aa-01-01-00-01'] },
  ];
  const no = [
    { nameContains: 'HR' },
    { serviceUuids: ['180f'] },
    { manufacturerId: 0x004c },
    { minRssi: -59 },
    { addresses: ['00:AA:01:00:00:00'] },
  ];
  for (const f of yes) assert.ok(matchesScanFilter(r, compileScanFilter(f)), JSON.stringify(f));
  for (const f of no) assert.ok(!matchesScanFilter(r, compileScanFilter(f)), JSON.stringify(f));
  assert.ok(!matchesScanFilter(report({ rssi: undefined }), compileScanFilter({ minRssi: -90 })));
  assert.ok(
    matchesScanFilter(report({ name: undefined }), compileScanFilter({ nameContains: '' })),
  );
  assert.ok(
    !matchesScanFilter(report({ name: undefined }), compileScanFilter({ nameContains: 'b' })),
  );
});

test('the RSSI threshold is exactly "at least minRssi"', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: -127, max: 20 }),
      fc.integer({ min: -127, max: 20 }),
      (rssi, min) => {
        assert.equal(
          matchesScanFilter(report({ rssi }), compileScanFilter({ minRssi: min })),
          rssi >= min,
        );
      },
    ),
  );
});

test('advertisementChanged sees data changes but not RSSI changes', () => {
  const a = report();
  assert.equal(advertisementChanged(a, report({ rssi: -90 })), false);
  const b = report();
  b.advertisement.manufacturerData.set(0x05f1, Buffer.from([1, 3]));
  assert.equal(advertisementChanged(a, b), true);
  assert.equal(advertisementChanged(a, report({ name: 'other' })), true);
});
