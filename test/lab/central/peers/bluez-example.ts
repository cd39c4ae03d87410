// BlueZ's independent example-gatt-server + example-advertisement as a conformance peer.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { HCI1_ADDR } from '../../../support/proc.js';
import type { AdvertisingData } from '../../../../src/core/index.js';
import type { ConformancePeer } from '../peer.js';
import { linePeer } from './line-peer.js';

// dist/test/lab/central/peers -> the .py next to the TypeScript sources.
const SCRIPT = fileURLToPath(
  new URL('../../../../../test/lab/central/peers/bluez_example_peer.py', import.meta.url),
);

/** `extraArgs`: ['--extras'] adds a secondary service and ATT-error reads (see the script). */
export function bluezExamplePeer(
  hci = 'hci1',
  address = HCI1_ADDR,
  extraArgs: string[] = [],
): ConformancePeer {
  return linePeer({
    name: 'bluez-example-gatt-server',
    address,
    hci,
    argv: ['/usr/bin/python3', '-u', SCRIPT, hci, ...extraArgs],
    checkAdvertisement(ad: AdvertisingData, name: string | undefined) {
      // What example-advertisement's TestAdvertisement puts on air.
      assert.equal(name, 'TestAdvertisement');
      assert.ok(
        ad.serviceUuids.includes('0000180d-0000-1000-8000-00805f9b34fb'),
        String(ad.serviceUuids),
      );
      assert.ok(
        ad.serviceUuids.includes('0000180f-0000-1000-8000-00805f9b34fb'),
        String(ad.serviceUuids),
      );
      assert.deepEqual(ad.manufacturerData.get(0xffff), Buffer.from([0, 1, 2, 3]));
      assert.deepEqual(
        ad.serviceData.get('00009999-0000-1000-8000-00805f9b34fb'),
        Buffer.from([0, 1, 2, 3, 4]),
      );
    },
  });
}
