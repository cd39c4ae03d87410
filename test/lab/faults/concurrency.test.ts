// Fault suite (issue 18), load side: 8 operations in flight on one connection (two links plus
// a scan, which needs a third controller, is two-links.test.ts).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DbusBackend } from '../../../src/backends/dbus/index.js';
import { Central } from '../../../src/central/index.js';
import { assertInLab } from '../../support/proc.js';
import type { LinePeer } from '../central/peers/line-peer.js';
import { forgetPeers } from '../peripheral/support.js';
import { FAULT, ensureBluetoothd, faultPeer, reportFault, until } from './support.js';
import { connectWhileAdvertising } from '../central/advertised-connect.js';

const T = { timeout: 240_000 };
let central: Central;
const peers: LinePeer[] = [];

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
  const d = await connectWhileAdvertising(central, peer, { timeoutMs: 60_000 });
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
