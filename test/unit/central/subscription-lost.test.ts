// Issue 18's "silent dead device": a subscription that cannot be restored after a reconnect or
// a database change is reported (typed), and the documented policy applies: that subscription
// is dropped, the link and the other subscriptions stay.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Central } from '../../../src/central/central.js';
import type { Device } from '../../../src/central/device.js';
import { AttError, SubscriptionLostError } from '../../../src/core/index.js';
import { FakeBackend, type FakeConnection } from './fake-backend.js';

const HR = '0000180d-0000-1000-8000-00805f9b34fb';
const BATTERY = '0000180f-0000-1000-8000-00805f9b34fb';

/** Connected with auto-reconnect, subscribed to 180d/2a37 and to 180f/2a38 (made to notify). */
async function subscribed() {
  const backend = new FakeBackend();
  const shape: ((c: FakeConnection) => void)[] = [];
  backend.onConnection = (c) => {
    c.db[1]!.characteristics[0]!.properties.notify = true;
    for (const f of shape) f(c);
  };
  const central = new Central({ backend });
  await central.start();
  const device = await central.connect('00:AA:01:01:00:01', {
    autoReconnect: { initialDelayMs: 1, maxDelayMs: 4 },
  });
  const got: string[] = [];
  await device.subscribe({ service: HR, characteristic: '2a37' }, (v) => got.push(`hr ${v[0]}`));
  await device.subscribe({ service: BATTERY, characteristic: '2a38' }, (v) =>
    got.push(`bat ${v[0]}`),
  );
  return { backend, device, got, shape };
}

function reconnected(device: Device): Promise<void> {
  return new Promise((r) => device.once('reconnect', () => r()));
}

/** Drops the link, shapes the next connections with `f`; the losses reported until reconnected. */
async function reconnectWith(
  s: Awaited<ReturnType<typeof subscribed>>,
  f: (c: FakeConnection) => void,
): Promise<SubscriptionLostError[]> {
  s.shape.push(f);
  const lost: SubscriptionLostError[] = [];
  s.device.on('subscriptionLost', (e: SubscriptionLostError) => lost.push(e));
  const back = reconnected(s.device);
  s.backend.connections[0]!.drop('remote');
  await back;
  return lost;
}

test('with no listener, a lost subscription is a process warning, not silence', async () => {
  const { backend, device, shape } = await subscribed();
  shape.push((c) => (c.db = c.db.filter((s) => s.uuid !== HR)));
  const warned = new Promise<Error>((r) => process.once('warning', r));
  const back = reconnected(device);
  backend.connections[0]!.drop('remote');
  await back;
  const w = await warned;
  assert.equal((w as Error & { code?: string }).code, 'BLEKIT_SUBSCRIPTION_LOST');
  assert.match(w.message, /2a37.*could not be restored/);
  await device.disconnect();
});

test('after a reconnect, a characteristic gone from the peer is reported and dropped; the rest works', async () => {
  const ctx = await subscribed();
  const { backend, device, got } = ctx;
  // The peer's application came back without the heart rate service.
  const lost = await reconnectWith(ctx, (c) => (c.db = c.db.filter((s) => s.uuid !== HR)));
  assert.equal(lost.length, 1);
  const [e] = lost;
  assert.ok(e instanceof SubscriptionLostError);
  assert.equal(e.code, 'ERR_BLE_SUBSCRIPTION_LOST');
  assert.equal(e.characteristic, '00002a37-0000-1000-8000-00805f9b34fb');
  assert.equal(e.service, HR);
  assert.equal(e.cause && (e.cause as Error).name, 'NotFoundError');
  // Policy: the link stays up and the other subscription was restored on it.
  assert.equal(device.connected, true);
  const conn2 = backend.connections[1]!;
  assert.deepEqual(
    conn2.log.filter((l) => l.startsWith('subscribe')),
    ['subscribe 34'],
  );
  conn2.listeners.get(0x22)?.(Buffer.from([9]));
  assert.deepEqual(got, ['bat 9']);
  // Subscribing again to what is gone is a plain NotFoundError; nothing is left half-done.
  await assert.rejects(
    device.subscribe({ service: HR, characteristic: '2a37' }, () => {}),
    {
      name: 'NotFoundError',
    },
  );
  await device.disconnect();
});

test('a subscription the peer refuses to enable again is reported with the ATT error', async () => {
  const ctx = await subscribed();
  const { backend, device, got } = ctx;
  const lost = await reconnectWith(ctx, (c) => c.refuseSubscribe.set(0x12, new AttError(0x03)));
  assert.equal(lost.length, 1);
  assert.ok(lost[0]!.cause instanceof AttError);
  assert.equal(device.connected, true);
  backend.connections[1]!.listeners.get(0x22)?.(Buffer.from([1]));
  assert.deepEqual(got, ['bat 1']);
  await device.disconnect();
});

test('the link dropping while subscriptions are restored keeps them for the next attempt', async () => {
  const ctx = await subscribed();
  const { backend, device, got } = ctx;
  let first = true;
  const lost = await reconnectWith(ctx, (c) => {
    if (!first) return;
    first = false;
    // The second connection goes down as the first subscription is re-enabled.
    const subscribe = c.subscribe.bind(c);
    c.subscribe = async (...a) => {
      c.drop('remote');
      return subscribe(...a);
    };
  });
  assert.deepEqual(lost, []);
  const last = backend.connections.at(-1)!;
  assert.equal(backend.connections.length, 3);
  assert.deepEqual(
    last.log.filter((l) => l.startsWith('subscribe')),
    ['subscribe 18', 'subscribe 34'],
  );
  last.listeners.get(0x12)?.(Buffer.from([5]));
  assert.deepEqual(got, ['hr 5']);
  await device.disconnect();
});

test('after a database change on the same link, a vanished characteristic is reported', async () => {
  const { backend, device } = await subscribed();
  const conn = backend.connections[0]!;
  const lost: SubscriptionLostError[] = [];
  device.on('subscriptionLost', (e: SubscriptionLostError) => lost.push(e));
  conn.db = conn.db.filter((s) => s.uuid !== BATTERY);
  const changed = new Promise<void>((r) => device.once('servicesChanged', () => r()));
  conn.events.onServicesChanged();
  await changed;
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(
    lost.map((e) => e.service),
    [BATTERY],
  );
  assert.equal(device.connected, true);
  await device.disconnect();
});
