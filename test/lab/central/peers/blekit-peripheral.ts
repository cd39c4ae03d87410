// blekit's own peripheral as a conformance peer: peers/blekit-peripheral-main.ts in a child
// Node process on hci1, as an application would run it.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import type { AdvertisingData } from '../../../../src/core/index.js';
import { HCI1_ADDR } from '../../../support/proc.js';
import type { ConformancePeer } from '../peer.js';
import { BLEKIT_AD } from './blekit-ad.js';
import { linePeer } from './line-peer.js';

const MAIN = fileURLToPath(new URL('./blekit-peripheral-main.js', import.meta.url));

export function blekitPeripheralPeer(hci = 'hci1', address = HCI1_ADDR): ConformancePeer {
  return linePeer({
    name: 'blekit-peripheral',
    address,
    hci,
    argv: [process.execPath, MAIN, hci],
    checkAdvertisement(ad: AdvertisingData, name: string | undefined) {
      assert.equal(name, BLEKIT_AD.localName);
      assert.ok(ad.serviceUuids.includes(BLEKIT_AD.serviceUuids[0]!), String(ad.serviceUuids));
      const uuid = BLEKIT_AD.serviceUuids[0]!;
      assert.deepEqual(ad.serviceData.get(uuid), BLEKIT_AD.serviceData[uuid]);
    },
  });
}
