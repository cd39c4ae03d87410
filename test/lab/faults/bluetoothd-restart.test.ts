// Fault suite (issue 18): bluetoothd killed (SIGKILL) and started again under a running central
// and under a running peripheral. The central's pending call must reject with a typed error
// within its timeout, its Device must report the link gone, and the same Central must connect
// again once bluetoothd is back. The peripheral must register its application, advertisement
// and agent again by itself (bluezLost, then bluezRestored with what it registered).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DbusBackend } from '../../../src/backends/dbus/index.js';
import { Central, type Device } from '../../../src/central/index.js';
import { BleError } from '../../../src/core/index.js';
import { getProperty, openSystemBus } from '../../../src/bluez/calls.js';
import { Peripheral, type RestoredCounts } from '../../../src/peripheral/index.js';
import { freshStack } from '../../support/stack.js';
import { assertInLab, HCI1_ADDR, run } from '../../support/proc.js';
import { connectWhileAdvertising } from '../central/advertised-connect.js';
import { conformanceUuid } from '../central/peer.js';
import { acceptingAgent, forgetPeers } from '../peripheral/support.js';
import { FAULT, faultPeer, rejection, reportFault, sleep, until } from './support.js';

const T = { timeout: 240_000 };
/** Readable only over an encrypted link: reading it makes BlueZ pair through the default agent. */
const SECRET = conformanceUuid(0xf0a0);

async function killBluetoothd(): Promise<void> {
  const r = await run('pidof', ['bluetoothd']);
  const pids = r.stdout.trim().split(/\s+/).filter(Boolean).map(Number);
  assert.ok(pids.length > 0, 'bluetoothd is running');
  for (const pid of pids) process.kill(pid, 'SIGKILL');
  await until(() => pids.every((p) => !existsProc(p)), 10_000, 'bluetoothd gone');
}

function existsProc(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function activeAdvertisements(hci: string): Promise<number> {
  const bus = await openSystemBus();
  try {
    const path = `/org/bluez/${hci}`;
    return Number(
      await getProperty(bus, path, 'org.bluez.LEAdvertisingManager1', 'ActiveInstances'),
    );
  } finally {
    bus.close();
  }
}

before(async () => {
  assertInLab();
  await forgetPeers();
});

after(async () => {
  await freshStack();
});

test(
  'bluetoothd killed under a running central: typed error, the Central works again',
  T,
  async () => {
    let peer = faultPeer();
    await peer.start();
    const central = new Central({ backend: new DbusBackend(), adapter: 'hci0' });
    let device: Device | undefined;
    try {
      await central.start();
      device = await connectWhileAdvertising(central, peer, { timeoutMs: 60_000 });
      await device.discover();
      const d = device;
      const held = peer.expectLine('pending read', 30_000);
      const pending = d.read(FAULT.hangRead, { timeoutMs: 60_000 });
      pending.catch(() => undefined);
      await held;
      let downAt = 0;
      d.once('disconnect', () => (downAt = Date.now()));

      const t0 = Date.now();
      await killBluetoothd();
      const [err, ms] = await rejection(pending, t0);
      console.log(`# pending read rejected ${ms} ms after the kill: ${err.name}: ${err.message}`);
      assert.ok(err instanceof BleError, `typed: ${err.name}: ${err.message}`);
      await until(() => downAt > 0, 10_000, "the Device's 'disconnect' after bluetoothd died");
      assert.equal(d.connected, false);
      const [err2] = await rejection(d.read(FAULT.echo), Date.now());
      assert.ok(err2 instanceof BleError, `typed: ${err2.name}`);

      // bluetoothd back (fresh state); the peer's registration died with the old one.
      await peer.kill();
      await freshStack();
      peer = faultPeer();
      await peer.start();
      const t1 = Date.now();
      device = await connectWhileAdvertising(central, peer, { timeoutMs: 60_000 });
      await device.write(FAULT.echo, Buffer.from('again'));
      assert.deepEqual(await device.read(FAULT.echo), Buffer.from('again'));
      reportFault({
        case: 'bluetoothd killed under a central',
        happened: `pending read: ${err.name}; Device 'disconnect' after ${downAt - t0} ms; later calls ${err2.name}`,
        typedErrorMs: ms,
        recovered: `yes: same Central connected again ${Date.now() - t1} ms after the peer re-advertised`,
      });
    } finally {
      await device?.disconnect().catch(() => undefined);
      await central.stop().catch(() => undefined);
      await peer.stop().catch(() => undefined);
    }
  },
);

test('bluetoothd killed under a running peripheral: it registers everything again', T, async () => {
  await freshStack();
  const p = await Peripheral.open({ adapter: 'hci1', handleSignals: false });
  const central = new Central({ backend: new DbusBackend(), adapter: 'hci0' });
  const adOptions = { localName: 'fault-restart', serviceUuids: [FAULT.service] };
  const errors: Error[] = [];
  p.on('error', (e) => errors.push(e));
  try {
    await p.addServices([
      {
        uuid: FAULT.service,
        characteristics: [
          { uuid: FAULT.echo, flags: ['read'], value: Buffer.from('peripheral') },
          { uuid: SECRET, flags: ['encrypt-read'], value: Buffer.from('paired') },
        ],
      },
    ]);
    const asked: string[] = [];
    const agent = acceptingAgent(asked);
    await p.registerAgent(agent, { asDefault: true });
    await p.advertise(adOptions);
    assert.equal(await activeAdvertisements('hci1'), 1);

    let lostAt = 0;
    p.once('bluezLost', () => (lostAt = Date.now()));
    let restoredAt = 0;
    let counts: RestoredCounts | undefined;
    p.once('bluezRestored', (c) => {
      restoredAt = Date.now();
      counts = c;
    });
    const t0 = Date.now();
    await killBluetoothd();
    await until(() => lostAt > 0, 10_000, "the Peripheral's 'bluezLost'");
    await freshStack();
    const stackMs = Date.now() - t0;
    // The peripheral registers again by itself once the new bluetoothd has the adapter.
    const end = Date.now() + 30_000;
    while ((await activeAdvertisements('hci1').catch(() => 0)) < 1 && Date.now() < end) {
      await sleep(250);
    }
    const advMs = Date.now() - t0;
    console.log(
      `# advertisement back ${advMs} ms after the kill (bluezLost after ${lostAt - t0} ms; ` +
        `the test's fresh bluetoothd had both adapters powered after ${stackMs} ms)`,
    );
    assert.equal(await activeAdvertisements('hci1'), 1, 'the advertisement is registered again');
    await until(() => restoredAt > 0, 30_000, "the Peripheral's 'bluezRestored'");
    console.log(`# bluezRestored ${restoredAt - t0} ms after the kill: ${JSON.stringify(counts)}`);
    assert.deepEqual(counts, { applications: 1, advertisements: 1, agents: 1 });
    assert.deepEqual(errors, []);

    await central.start();
    // btvirt reports an advertisement once per enable: register it anew until connected.
    const d = await connectWhileAdvertising(central, {
      address: HCI1_ADDR,
      advertise: async (on) => {
        if (!on) return;
        await p.stopAdvertising();
        await p.advertise(adOptions);
      },
    });
    assert.deepEqual(await d.read(FAULT.echo), Buffer.from('peripheral'));
    // Pairing is answered by the agent registered again (the only agent the new bluetoothd has).
    assert.deepEqual(await d.read(SECRET, { timeoutMs: 60_000 }), Buffer.from('paired'));
    console.log(`# pairing after the restart answered by the restored agent: ${asked.join('; ')}`);
    assert.ok(asked.length > 0, 'the restored agent was asked');
    await d.disconnect();
    // The new bluetoothd knows the agent: unregistering it fails with DoesNotExist otherwise.
    await p.unregisterAgent(agent);
    reportFault({
      case: 'bluetoothd killed under a peripheral',
      happened: `bluezLost after ${lostAt - t0} ms; advertisement back ${advMs} ms after the kill; bluezRestored ${JSON.stringify(counts)}; application served again; pairing answered by the restored agent`,
      recovered: 'yes',
    });
  } finally {
    await central.stop().catch(() => undefined);
    await p.close().catch(() => undefined);
  }
});
