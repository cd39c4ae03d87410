// Advertising data set through our API on hci1, as a scanner on hci0 (bleak) receives it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { BusyError, normalizeUuid } from '../../../src/core/index.js';
import {
  Peripheral,
  type Advertisement,
  type AdvertisementOptions,
} from '../../../src/peripheral/index.js';
import { assertInLab, HCI1_ADDR } from '../../support/proc.js';
import { advertiseUntil, runClient, waitClean, forgetPeers } from './support.js';

let p: Peripheral;

before(async () => {
  assertInLab();
  await forgetPeers();
  p = await Peripheral.open({ adapter: HCI1_ADDR, handleSignals: false });
});

after(async () => {
  await p?.close();
  await forgetPeers();
  const dirty = await waitClean();
  assert.equal(dirty, undefined, dirty);
});

async function scanFor(
  opts: AdvertisementOptions,
  want: (l: Record<string, unknown>) => boolean,
): Promise<Record<string, unknown>> {
  const scan = runClient('scan.py', [HCI1_ADDR, '40'], 90_000);
  await scan.waitFor((l) => l.event === 'scanning', 30_000);
  const seenP = scan.waitFor(want, 35_000);
  // btvirt reports once per advertising enable: register again until the scanner has it.
  await advertiseUntil(p, opts, seenP).catch(() => undefined);
  try {
    return await seenP;
  } finally {
    scan.kill();
  }
}

test(
  'name, service UUID, appearance and TX power reach the scanner',
  { timeout: 120_000 },
  async () => {
    const seen = await scanFor(
      {
        localName: 'blekit-ad',
        serviceUuids: ['180d'],
        appearance: 0x0340,
        includes: ['tx-power'],
      },
      (l) => l.local_name === 'blekit-ad' && typeof l.tx_power === 'number',
    );
    assert.deepEqual(seen.service_uuids, [normalizeUuid('180d')]);
    assert.equal(seen.appearance, 0x0340);
  },
);

test('service data reaches the scanner byte for byte', { timeout: 120_000 }, async () => {
  const seen = await scanFor(
    {
      // General discovery only reports advertisers whose Flags say discoverable.
      discoverable: true,
      serviceData: { '180f': [0x57] },
    },
    (l) => typeof l.service_data === 'object' && Object.keys(l.service_data ?? {}).length > 0,
  );
  assert.deepEqual(seen.service_data, { [normalizeUuid('180f')]: '57' });
});

test('manufacturer data reaches the scanner byte for byte', { timeout: 120_000 }, async () => {
  const seen = await scanFor(
    { discoverable: true, manufacturerData: { 0xffff: [0x62, 0x6c, 0x65] } },
    (l) =>
      typeof l.manufacturer_data === 'object' && Object.keys(l.manufacturer_data ?? {}).length > 0,
  );
  assert.deepEqual(seen.manufacturer_data, { '65535': '626c65' });
});

test('timeout: BlueZ releases the advertisement and we hear it', { timeout: 60_000 }, async () => {
  const ad = await p.advertise({ localName: 'short', timeout: 2 });
  assert.equal(ad.isActive, true);
  const t0 = Date.now();
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no Release within 30 s')), 30_000);
    ad.once('release', () => {
      clearTimeout(t);
      resolve();
    });
  });
  assert.equal(ad.isActive, false);
  assert.ok(Date.now() - t0 >= 1500);
});

test(
  'running out of advertising slots gives BusyError, and stop frees them',
  { timeout: 60_000 },
  async () => {
    const ads: Advertisement[] = [];
    let busy: unknown;
    for (let i = 0; i < 32 && !busy; i++) {
      try {
        ads.push(await p.advertise({ type: 'broadcast', serviceData: { '180f': [i] } }));
      } catch (e) {
        busy = e;
      }
    }
    assert.ok(busy instanceof BusyError, String(busy));
    assert.match((busy as Error).message, /no free advertising slot/);
    assert.ok(ads.length >= 1);
    await p.stopAdvertising();
    const again = await p.advertise({ localName: 'again' });
    await again.stop();
  },
);
