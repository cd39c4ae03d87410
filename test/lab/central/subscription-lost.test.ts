// Issue 18's "silent dead device", over the virtual radio: blekit's central (D-Bus backend,
// hci0, auto-reconnect) subscribed to BlueZ's example-gatt-server peer (hci1, an independent
// python-dbus application). The peer's application goes away, taking the subscribed service
// with it, while the link stays up: bluetoothd tells the central (Service Changed), blekit
// cannot find the characteristic again, and must say so with a typed error instead of staying
// "connected" delivering nothing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SubscriptionLostError } from '../../../src/core/index.js';
import { dbusSession } from './dbus-session.js';
import { CONFORMANCE as C } from './peer.js';
import { bluezExamplePeer } from './peers/bluez-example.js';
import { connectWhileAdvertising } from './advertised-connect.js';

const T = { timeout: 240_000 };
const peer = bluezExamplePeer();
const session = dbusSession(peer);

test('the subscribed service vanishing on a live link is a SubscriptionLostError', T, async () => {
  const device = await connectWhileAdvertising(session.central, peer, {
    timeoutMs: 60_000,
    autoReconnect: { initialDelayMs: 500, maxDelayMs: 3_000 },
  });
  session.device = device;
  await device.discover();
  const values: number[] = [];
  await device.subscribe(C.seq, (v) => values.push(v.readUInt32LE(0)));
  await device.write(C.credits, Buffer.from([0xff, 0xff, 0xff, 0xff]));
  await device.write(C.credits, Buffer.from([3, 0]));
  const deadline = Date.now() + 20_000;
  while (values.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(values, [0, 1, 2], 'the subscription delivers before the peer goes');

  const d = device;
  const lost = new Promise<SubscriptionLostError>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no subscriptionLost within 90 s')), 90_000);
    d.once('subscriptionLost', (e: SubscriptionLostError) => {
      clearTimeout(t);
      resolve(e);
    });
  });
  const t0 = Date.now();
  // The application quits: bluetoothd unregisters its services; the link is the adapter's.
  await peer.stop();
  const err = await lost;
  console.log(`# subscriptionLost ${Date.now() - t0} ms after the peer quit: ${err.message}`);
  assert.ok(err instanceof SubscriptionLostError);
  assert.equal(err.characteristic, C.seq);
  assert.equal(err.service, C.service);
  // The documented policy: the link stays, the subscription is gone from the device.
  assert.equal(d.connected, true);
  await assert.rejects(d.characteristic(C.seq), { name: 'NotFoundError' });
});
