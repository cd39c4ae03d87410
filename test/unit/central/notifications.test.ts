// device.notifications(): an async iterator over a subscription with a bounded buffer.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Central } from '../../../src/central/central.js';
import { AbortError, setLogger, type LogRecord } from '../../../src/core/index.js';
import { FakeBackend } from './fake-backend.js';

const PEER = '00:AA:01:01:00:01';
const tick = () => new Promise((r) => setImmediate(r));

async function connected(autoReconnect = false) {
  const backend = new FakeBackend();
  const central = new Central({ backend });
  await central.start();
  const device = await central.connect(PEER, {
    autoReconnect: autoReconnect ? { initialDelayMs: 1 } : false,
  });
  return { backend, device, conn: backend.connections[0]! };
}

test('values arrive in order; leaving the loop unsubscribes', async () => {
  const { device, conn } = await connected();
  const stream = device.notifications('2a37');
  assert.equal(conn.log.length, 0, 'nothing happens before the first next()');
  const got: number[] = [];
  const reader = (async () => {
    for await (const v of stream) {
      got.push(v[0]!);
      if (got.length === 3) break;
    }
  })();
  while (!conn.listeners.has(0x12)) await tick();
  for (const b of [1, 2, 3, 4]) conn.listeners.get(0x12)?.(Buffer.from([b]));
  await reader;
  await tick();
  assert.deepEqual(got, [1, 2, 3]);
  assert.deepEqual(conn.log, ['discover', 'subscribe 18', 'unsubscribe 18']);
  assert.equal(stream.dropped, 0);
});

test('a slow consumer loses the oldest values: counted in dropped, warned once', async () => {
  const records: LogRecord[] = [];
  setLogger((r) => records.push(r));
  try {
    const { device, conn } = await connected();
    const stream = device.notifications('2a37', { bufferSize: 2 });
    const first = stream.next();
    while (!conn.listeners.has(0x12)) await tick();
    for (const b of [1, 2, 3, 4, 5]) conn.listeners.get(0x12)?.(Buffer.from([b]));
    assert.deepEqual((await first).value, Buffer.from([1]));
    assert.deepEqual((await stream.next()).value, Buffer.from([4]));
    assert.deepEqual((await stream.next()).value, Buffer.from([5]));
    assert.equal(stream.dropped, 2);
    const warnings = records.filter((r) => r.level === 'warn');
    assert.deepEqual(
      warnings.map((r) => r.code),
      ['BLEKIT_NOTIFICATIONS_DROPPED'],
    );
    await stream.return?.();
  } finally {
    setLogger(undefined);
  }
});

test('the signal fails the loop with AbortError and unsubscribes', async () => {
  const { device, conn } = await connected();
  const ac = new AbortController();
  const stream = device.notifications('2a37', { signal: ac.signal });
  const p = stream.next();
  while (!conn.listeners.has(0x12)) await tick();
  ac.abort();
  await assert.rejects(p, AbortError);
  await tick();
  assert.ok(conn.log.includes('unsubscribe 18'));
});

test('a failing subscribe fails the loop; disconnect() ends it after the buffered values', async () => {
  const { device, conn } = await connected();
  const bad = device.notifications({ handle: 0x15 });
  await assert.rejects(bad.next(), /neither notifies nor indicates/);
  const stream = device.notifications('2a37');
  const first = stream.next();
  while (!conn.listeners.has(0x12)) await tick();
  conn.listeners.get(0x12)?.(Buffer.from([1]));
  conn.listeners.get(0x12)?.(Buffer.from([2]));
  await device.disconnect();
  assert.deepEqual((await first).value, Buffer.from([1]));
  assert.deepEqual((await stream.next()).value, Buffer.from([2]));
  assert.deepEqual(await stream.next(), { value: undefined, done: true });
});

test('with auto-reconnect the stream survives a dropped link', async () => {
  const { backend, device, conn } = await connected(true);
  const stream = device.notifications('2a37');
  const first = stream.next();
  while (!conn.listeners.has(0x12)) await tick();
  conn.drop('remote');
  await new Promise<void>((r) => device.once('reconnect', r));
  backend.connections[1]!.listeners.get(0x12)?.(Buffer.from([7]));
  assert.deepEqual((await first).value, Buffer.from([7]));
  await device.disconnect();
});
