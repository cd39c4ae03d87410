// mgmt discovery as the gatttool backend scans: Device Found events become scan results.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { mgmtScan } from '../../../../src/backends/gatttool/scan.js';
import type { ScanResult } from '../../../../src/central/types.js';
import type { Mgmt } from '../../../../src/mgmt/index.js';

test('a Device Found with RSSI 127 ("not available") reports no RSSI; a reading passes', async () => {
  const mgmt = Object.assign(new EventEmitter(), { send: async () => ({}) });
  const got: ScanResult[] = [];
  const scanner = await mgmtScan(mgmt as unknown as Mgmt, 0, (r) => got.push(r));
  const found = (address: string, rssi: number) =>
    mgmt.emit('DeviceFound', {
      index: 0,
      params: { address, addressType: 'le-public', rssi, eirData: { raw: Buffer.alloc(0) } },
    });
  found('00:AA:01:01:00:01', 127);
  found('00:AA:01:01:00:02', -55);
  await scanner.stop();
  assert.deepEqual(
    got.map((r) => [r.address, r.rssi]),
    [
      ['00:AA:01:01:00:01', undefined],
      ['00:AA:01:01:00:02', -55],
    ],
  );
});
