// Fault suite (issue 18), load side: 8 operations in flight on one connection, and two
// connections at once while a scan runs (three controllers: `blekit lab run -n 3`; hci1 and
// hci2 each serve the dbus-python fault peer).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DbusBackend } from '../../../src/backends/dbus/index.js';
import { Central } from '../../../src/central/index.js';
import { getManagedObjects, getProperty, openSystemBus } from '../../../src/peripheral/dbus/bus.js';
import { assertInLab } from '../../support/proc.js';
import type { LinePeer } from '../central/peers/line-peer.js';
import { forgetPeers } from '../peripheral/support.js';
import { FAULT, ensureBluetoothd, faultPeer, reportFault, until } from './support.js';

const T = { timeout: 240_000 };
let central: Central;
const peers: LinePeer[] = [];

async function adapterAddress(hci: string): Promise<string> {
  const bus = await openSystemBus();
  try {
    return String(await getProperty(bus, `/org/bluez/${hci}`, 'org.bluez.Adapter1', 'Address'));
  } finally {
    bus.close();
  }
}

before(async () => {
  assertInLab();
  await forgetPeers();
  central = new Central({ backend: new DbusBackend(), adapter: 'hci0' });
  await central.start();
});

after(async () => {
  await central?.stop().catch(() => undefined);
  for (const p of peers) await p.stop().catch(() => undefined);
  await ensureBluetoothd();
  await forgetPeers();
});

test('8 operations in flight on one connection all complete, values intact', T, async () => {
  const peer = faultPeer();
  peers.push(peer);
  await peer.start();
  await peer.advertise(true);
  const d = await central.connect(peer.address, { timeoutMs: 60_000, addressType: 'public' });
  await peer.advertise(false);
  await d.discover();
  const seen: number[] = [];
  await d.subscribe(FAULT.seq, (v) => seen.push(v.readUInt32LE(0)));
  await d.write(FAULT.control, Buffer.from([0xff, 0xff, 0xff, 0xff]));
  await d.write(FAULT.echo, Buffer.from('eight'));
  const t0 = Date.now();
  const results = await Promise.allSettled([
    d.read(FAULT.echo),
    d.read(FAULT.echo),
    d.read(FAULT.echo),
    d.write(FAULT.echo, Buffer.from('eight')),
    d.write(FAULT.control, Buffer.from([1, 0])),
    d.write(FAULT.control, Buffer.from([1, 0])),
    d.read(FAULT.echo),
    d.discover(true),
  ]);
  const ms = Date.now() - t0;
  const failed = results.filter((r) => r.status === 'rejected');
  assert.deepEqual(failed, [], 'every operation completed');
  for (const i of [0, 1, 2, 6]) {
    assert.deepEqual((results[i] as PromiseFulfilledResult<Buffer>).value, Buffer.from('eight'));
  }
  await until(() => seen.length >= 2, 20_000, 'the two credited notifications');
  assert.deepEqual(seen, [0, 1]);
  await d.disconnect();
  reportFault({
    case: '8 operations in flight on one link',
    happened: `all 8 completed in ${ms} ms; reads intact; 2 notifications in order`,
    recovered: 'n/a',
  });
});

test('two connections at once while a scan runs (three controllers)', T, async () => {
  const bus = await openSystemBus();
  const names = Object.keys(await getManagedObjects(bus).finally(() => bus.close())).filter((p) =>
    /^\/org\/bluez\/hci\d+$/.test(p),
  );
  assert.ok(
    names.includes('/org/bluez/hci2'),
    `this case needs a third controller (blekit lab run -n 3); have ${names.join(', ')}`,
  );
  const second = faultPeer('hci2', await adapterAddress('hci2'));
  const first = peers[0] ?? faultPeer();
  if (!peers.includes(first)) peers.push(first);
  peers.push(second);
  await second.start();
  const scan = new AbortController();
  const scanning = central.scan({ durationMs: 120_000, signal: scan.signal });
  try {
    await first.advertise(true);
    await second.advertise(true);
    // One connect after the other: two Connect calls in flight at once led (once, in a boot
    // with three controllers) to a kernel oops in hci_chan_del that killed bluetoothd.
    const t0 = Date.now();
    const a = await central.connect(first.address, { timeoutMs: 60_000, addressType: 'public' });
    const b = await central.connect(second.address, { timeoutMs: 60_000, addressType: 'public' });
    const ms = Date.now() - t0;
    await Promise.all([
      a.write(FAULT.echo, Buffer.from('A')),
      b.write(FAULT.echo, Buffer.from('B')),
    ]);
    const [va, vb] = await Promise.all([a.read(FAULT.echo), b.read(FAULT.echo)]);
    assert.deepEqual([va, vb], [Buffer.from('A'), Buffer.from('B')]);
    assert.equal(central.connectedDevices().length, 2);
    await Promise.all([a.disconnect(), b.disconnect()]);
    reportFault({
      case: 'two connections at once + scan running (-n 3)',
      happened: `both connected in ${ms} ms during the scan; reads/writes kept apart`,
      recovered: 'n/a',
    });
  } finally {
    await first.advertise(false).catch(() => undefined);
    await second.advertise(false).catch(() => undefined);
    scan.abort();
    await scanning;
  }
});
