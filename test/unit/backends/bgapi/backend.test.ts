import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Central } from '../../../../src/central/index.js';
import {
  AttError,
  InvalidArgumentError,
  NotSupportedError,
  emptyAdvertisingData,
} from '../../../../src/core/index.js';
import { BgapiBackend } from '../../../../src/backends/bgapi/index.js';
import { loopback } from '../../bgapi-emulator/loopback.js';

const PEER = '00:AA:01:01:00:01';

async function connected() {
  const lb = loopback();
  const central = new Central({ backend: lb.backend });
  const info = await central.start();
  const device = await central.connect(PEER, { timeoutMs: 5_000 });
  return { ...lb, central, info, device, conn: lb.fake.connections[0]! };
}

describe('BGAPI backend against the emulator (in memory)', () => {
  test('start resets the dongle, waits for boot and reads its address', async () => {
    const { backend, sent } = loopback();
    const info = await backend.start({});
    assert.equal(info.address, '00:AA:01:00:00:00');
    assert.equal(sent[0], '0001000000', 'system_reset(0) first');
    assert.ok(sent.includes('000206010000'), 'advertising off: gap_set_mode(0, 0)');
    await backend.stop();
  });

  test('scan reports are merged, parsed and filtered', async () => {
    const { backend, fake } = loopback();
    await backend.start({});
    const got: { address: string; name?: string; rssi?: number }[] = [];
    await backend.startScan({ active: true, minRssi: -80 }, (r) => got.push(r));
    assert.equal(fake.scanOptions?.active, true);
    const ad = emptyAdvertisingData();
    ad.localName = 'a-rather-long-peripheral-name';
    ad.completeName = true;
    ad.manufacturerData.set(0x05f1, Buffer.from('0102030405060708090a', 'hex'));
    ad.serviceUuids.push('0000c000-b1e0-4000-8000-626c656b6974');
    fake.sink?.({
      address: PEER,
      addressType: 'public',
      rssi: -40,
      advertisement: ad,
      timestamp: 0,
    });
    fake.sink?.({
      address: '11:22:33:44:55:66',
      addressType: 'random',
      rssi: -90,
      advertisement: ad,
      timestamp: 0,
    });
    await new Promise((r) => setTimeout(r, 50));
    await backend.stopScan();
    assert.equal(fake.scanning, false);
    const last = got.at(-1) as (typeof got)[number] & { advertisement: typeof ad };
    assert.equal(last.address, PEER);
    assert.equal(last.name, 'a-rather-long-peripheral-name');
    assert.equal(last.rssi, -40);
    assert.deepEqual(
      last.advertisement.manufacturerData.get(0x05f1),
      Buffer.from('0102030405060708090a', 'hex'),
    );
    assert.deepEqual(last.advertisement.serviceUuids, ['0000c000-b1e0-4000-8000-626c656b6974']);
    assert.ok(!got.some((r) => r.address === '11:22:33:44:55:66'), 'minRssi drops weak reports');
    await backend.stop();
  });

  test('a passive scan gets the advertisement packet only, no scan response', async () => {
    const { backend, fake } = loopback();
    await backend.start({});
    const got: { name?: string; advertisement: { manufacturerData: Map<number, Buffer> } }[] = [];
    await backend.startScan({ active: false }, (r) => got.push(r));
    // The fake stack scans actively only: the emulator asks it to, and drops what a passive
    // scanner would not hear.
    assert.equal(fake.scanOptions?.active, true);
    const ad = emptyAdvertisingData();
    ad.manufacturerData.set(0x05f1, Buffer.from('01020304', 'hex'));
    ad.localName = 'a-name-too-long-for-the-advertisement';
    ad.completeName = true;
    fake.sink?.({
      address: PEER,
      addressType: 'public',
      rssi: -40,
      advertisement: ad,
      timestamp: 0,
    });
    await new Promise((r) => setTimeout(r, 50));
    await backend.stopScan();
    assert.equal(got.length, 1);
    assert.equal(got[0]?.name, undefined);
    assert.deepEqual(
      got[0]?.advertisement.manufacturerData.get(0x05f1),
      Buffer.from('01020304', 'hex'),
    );
    await backend.stop();
  });

  test('connect, discover with handles, read, write (short, long, no response), descriptors', async () => {
    const { central, device, conn, fake } = await connected();
    assert.equal(fake.connectCalls, 1);
    const services = await device.discover();
    assert.deepEqual(
      services.map((s) => [s.uuid.slice(4, 8), s.startHandle, s.endHandle]),
      [
        ['180d', 0x10, 0x16],
        ['180f', 0x20, 0x22],
      ],
    );
    const hr = services[0]!.characteristics[0]!;
    assert.equal(hr.handle, 0x11);
    assert.equal(hr.valueHandle, 0x12);
    assert.equal(hr.properties.notify, true);
    assert.equal(hr.properties.read, false);
    assert.deepEqual(hr.descriptors, [
      { uuid: '00002902-0000-1000-8000-00805f9b34fb', handle: 0x13 },
    ]);

    await device.write({ handle: 0x15 }, Buffer.from('short'));
    assert.deepEqual(conn.values.get(0x15), Buffer.from('short'));
    assert.deepEqual(await device.read({ handle: 0x15 }), Buffer.from('short'));

    const long = Buffer.alloc(300);
    for (let i = 0; i < long.length; i++) long[i] = (i * 13) & 0xff;
    await device.write({ handle: 0x15 }, long);
    assert.deepEqual(conn.values.get(0x15), long, 'prepare/execute reassembled at the emulator');
    assert.deepEqual(await device.read({ handle: 0x15 }), long, 'read_long');

    await device.write({ handle: 0x15 }, Buffer.from('nr'), { withoutResponse: true });
    await new Promise((r) => setTimeout(r, 20));
    assert.ok(conn.log.includes(`write ${0x15} 6e72 cmd`));
    await assert.rejects(
      device.write({ handle: 0x15 }, Buffer.alloc(21), { withoutResponse: true }),
      InvalidArgumentError,
    );
    assert.equal(device.mtu, 23);
    await central.stop();
  });

  test('subscribe writes the CCCD and delivers notifications in order; unsubscribe stops them', async () => {
    const { central, device, conn } = await connected();
    await device.discover();
    const got: number[] = [];
    const off = await device.subscribe('2a37', (v) => got.push(v.readUInt32LE(0)));
    assert.ok(conn.log.includes(`subscribe ${0x12}`));
    const push = conn.listeners.get(0x12)!;
    for (let i = 0; i < 200; i++) {
      const b = Buffer.alloc(4);
      b.writeUInt32LE(i);
      push(b);
    }
    for (let i = 0; i < 100 && got.length < 200; i++) await new Promise((r) => setTimeout(r, 5));
    assert.deepEqual(
      got,
      Array.from({ length: 200 }, (_, i) => i),
    );
    // The emulator answers CCCD reads from its subscription state.
    assert.deepEqual(await device.readDescriptor('2a37', '2902'), Buffer.from([1, 0]));
    await off();
    assert.ok(conn.log.includes(`unsubscribe ${0x12}`));
    await central.stop();
  });

  test('disconnects: local and remote reasons reach the callbacks', async () => {
    const { central, device, conn } = await connected();
    const reasons: string[] = [];
    device.registerDisconnectCallback((_d, r) => reasons.push(r));
    conn.drop('remote');
    for (let i = 0; i < 100 && reasons.length === 0; i++)
      await new Promise((r) => setTimeout(r, 5));
    assert.deepEqual(reasons, ['remote']);
    assert.equal(device.connected, false);

    const d2 = await central.connect(PEER, { timeoutMs: 5_000 });
    const r2: string[] = [];
    d2.registerDisconnectCallback((_d, r) => r2.push(r));
    await d2.disconnect();
    assert.deepEqual(r2, ['local']);
    await central.stop();
  });

  test('rssi, pairing with a bond, deleting one bond and all bonds', async () => {
    const { central, device, conn, fake, backend } = await connected();
    assert.equal(await device.rssi(), -50);
    // No reading: the emulator answers 127 ("not available"), which the host reports as absent.
    conn.rssiValue = undefined;
    assert.equal(await device.rssi(), undefined);
    conn.rssiValue = -50;
    await device.pair('medium');
    assert.ok(conn.log.includes('pair medium'));
    await assert.rejects(device.pair('high'), NotSupportedError);
    await backend.removeBond(PEER);
    assert.deepEqual(fake.bondsRemoved, [PEER]);
    await backend.removeBond('11:22:33:44:55:66'); // no bond known: nothing to do
    assert.deepEqual(fake.bondsRemoved, [PEER]);
    await device.pair('medium');
    await backend.removeBond();
    assert.deepEqual(fake.bondsRemoved, [PEER, PEER]);
    await central.stop();
  });

  test('ATT errors come back as AttError with the code from the emulator', async () => {
    const { backend } = loopback();
    await backend.start({});
    const events = { onDisconnect: () => undefined, onServicesChanged: () => undefined };
    const c = await backend.connect(PEER, { timeoutMs: 5_000, retries: 0 }, events);
    await assert.rejects(
      c.readDescriptor(0x40),
      (e: unknown) => e instanceof AttError && e.attCode === 0x01,
    );
    await assert.rejects(c.readDescriptor(0), InvalidArgumentError);
    await backend.stop();
  });

  test('bad parameters are refused before any I/O', () => {
    assert.throws(() => new BgapiBackend({ scanInterval: 2 }), InvalidArgumentError);
    assert.throws(
      () => new BgapiBackend({ scanInterval: 40, scanWindow: 50 }),
      InvalidArgumentError,
    );
    assert.throws(
      () => new BgapiBackend({ intervalMin: 80, intervalMax: 60 }),
      InvalidArgumentError,
    );
    assert.throws(() => new BgapiBackend({ supervisionTimeout: 5 }), InvalidArgumentError);
    assert.throws(() => new BgapiBackend({ latency: 500 }), InvalidArgumentError);
  });
});
