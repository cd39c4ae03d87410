// The emulator seen from the wire: BGAPI frames over its pty, checked against what the API
// reference says a BLED112 does (no response to system_reset, system_boot after it, result
// codes for commands in the wrong state), then the backend's own extras (passive scan, RSSI).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BgapiBackend, BgapiLink, openSerialPort } from '../../../src/backends/bgapi/index.js';
import { BgapiResult, type BgapiEvent } from '../../../src/backends/bgapi/codec/index.js';
import { Central } from '../../../src/central/index.js';
import { assertInLab, btmgmt } from '../../support/proc.js';
import { bluezExamplePeer } from '../central/peers/bluez-example.js';
import { emulatorForThisFile } from './emulator-process.js';

const port = await emulatorForThisFile();
const T = { timeout: 120_000 };

describe('BGAPI emulator on the wire', () => {
  let link: BgapiLink;
  before(async () => {
    assertInLab();
    link = new BgapiLink(await openSerialPort({ path: port }));
  });
  after(async () => {
    await link?.close();
  });

  test(
    'system_reset: no response, system_boot after a pause, then the same version on request',
    T,
    async () => {
      const events: BgapiEvent[] = [];
      link.on('event', (e: BgapiEvent) => events.push(e));
      const boot = link.waitEvent('system_boot', () => true, 10_000);
      const t0 = Date.now();
      await link.send('system_reset', { bootInDfu: 0 });
      const e = await boot.promise;
      assert.ok(Date.now() - t0 >= 50, 'a dongle takes a moment to boot');
      assert.equal(link.counters.responses, 0, 'system_reset has no response');
      const info = await link.command('system_get_info', {});
      assert.deepEqual(info, e.params);
      assert.deepEqual(await link.command('system_hello', {}), {});
      assert.equal((await link.command('system_address_get', {})).address, '00:AA:01:00:00:00');
      assert.equal((await link.command('system_get_connections', {})).maxconn, 3);
    },
  );

  test('commands in the wrong state get the reference result codes', T, async () => {
    assert.equal((await link.command('gap_end_procedure', {})).result, BgapiResult.wrongState);
    assert.equal(
      (
        await link.command('gap_set_scan_parameters', {
          scanInterval: 10,
          scanWindow: 20,
          active: 1,
        })
      ).result,
      BgapiResult.invalidParameter,
    );
    assert.deepEqual(await link.command('connection_disconnect', { connection: 2 }), {
      connection: 2,
      result: BgapiResult.notConnected,
    });
    assert.deepEqual(
      await link.command('attclient_read_by_handle', { connection: 0, chrhandle: 3 }),
      {
        connection: 0,
        result: BgapiResult.notConnected,
      },
    );
    assert.equal((await link.command('gap_discover', { mode: 1 })).result, 0);
    assert.equal((await link.command('gap_discover', { mode: 1 })).result, BgapiResult.wrongState);
    assert.equal((await link.command('gap_end_procedure', {})).result, 0);
  });
});

describe('BGAPI backend extras through the emulator', () => {
  const peer = bluezExamplePeer();
  let central: Central;
  before(async () => {
    assertInLab();
    await peer.start();
    central = new Central({ backend: new BgapiBackend({ port }) });
    await central.start();
  });
  after(async () => {
    await central?.stop().catch(() => undefined);
    await peer.stop();
    await btmgmt(['-i', peer.hci, 'advertising', 'off']);
  });

  test('a passive scan sees the advertisement, then a connection reports RSSI', T, async () => {
    assert.equal(central.backend.capabilities.passiveScan, true);
    const found = central.scan({ durationMs: 20_000, active: false, addresses: [peer.address] });
    await new Promise((r) => setTimeout(r, 1_000));
    await peer.advertise(true);
    const list = await found;
    assert.deepEqual(
      list.map((r) => r.address),
      [peer.address],
    );
    const device = await central.connect(peer.address, { timeoutMs: 60_000 });
    try {
      // BlueZ's D-Bus API has no connection RSSI, so the emulator answers connection_get_rssi
      // with the last advertising RSSI; btvirt has none (127, "not available"), so both are
      // absent, never 127 dBm.
      const rssi = await device.rssi();
      assert.equal(rssi, list[0]?.rssi);
      assert.notEqual(rssi, 127, 'RSSI 127 ("not available") surfaced as dBm');
    } finally {
      await device.disconnect();
    }
    assert.equal(device.connected, false);
  });
});
