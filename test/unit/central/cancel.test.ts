// Per-call { signal, timeoutMs } on Device and Central: an abandoned call rejects with the
// typed error and leaves nothing behind in the Device or (when it can cancel) the backend.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Central } from '../../../src/central/central.js';
import { AbortError, InvalidArgumentError, TimeoutError } from '../../../src/core/index.js';
import { FakeBackend } from './fake-backend.js';

const PEER = '00:AA:01:01:00:01';

async function connected(options: { operationTimeoutMs?: number; signal?: AbortSignal } = {}) {
  const backend = new FakeBackend();
  const central = new Central({ backend, ...options });
  await central.start();
  const device = await central.connect(PEER);
  await device.discover();
  return { backend, central, device, conn: backend.connections[0]! };
}

test('a read past its timeoutMs rejects with TimeoutError and cancels the backend request', async () => {
  const { device, conn } = await connected();
  conn.held.add('read');
  await assert.rejects(device.read({ handle: 0x15 }, { timeoutMs: 20 }), (e: unknown) => {
    assert.ok(e instanceof TimeoutError);
    assert.match(e.message, /^read on 00:AA:01:01:00:01 timed out after 20 ms$/);
    return true;
  });
  assert.ok(conn.log.includes('cancel read'));
  conn.releaseHeld();
  conn.values.set(0x15, Buffer.from([7]));
  assert.deepEqual(await device.read({ handle: 0x15 }), Buffer.from([7]));
});

test('an aborted write rejects with AbortError carrying the reason; an aborted signal does no I/O', async () => {
  const { device, conn } = await connected();
  conn.held.add('write');
  const ac = new AbortController();
  const p = device.write({ handle: 0x15 }, [1], { signal: ac.signal });
  const reason = new Error('user gave up');
  setImmediate(() => ac.abort(reason));
  await assert.rejects(p, (e: unknown) => e instanceof AbortError && e.cause === reason);
  assert.ok(conn.log.includes('cancel write'));
  const before = conn.log.length;
  await assert.rejects(device.read({ handle: 0x15 }, { signal: AbortSignal.abort() }), AbortError);
  assert.equal(conn.log.length, before);
});

test('the Central-wide signal and operationTimeoutMs are the defaults of every device call', async () => {
  const ac = new AbortController();
  const { device, conn } = await connected({ operationTimeoutMs: 30, signal: ac.signal });
  assert.equal(device.operationTimeoutMs, 30);
  conn.held.add('rssi');
  await assert.rejects(device.rssi(), TimeoutError);
  conn.held.add('pair');
  const pairing = device.pair('medium', { timeoutMs: 10_000 });
  ac.abort();
  await assert.rejects(pairing, AbortError);
  assert.deepEqual(
    conn.log.filter((l) => l.startsWith('cancel')),
    ['cancel rssi', 'cancel pair'],
  );
  await assert.rejects(device.read({ handle: 0x15 }), AbortError);
});

test('per-device operationTimeoutMs overrides the Central default; bad values are refused', async () => {
  const backend = new FakeBackend();
  assert.throws(() => new Central({ backend, operationTimeoutMs: -1 }), InvalidArgumentError);
  const central = new Central({ backend, operationTimeoutMs: 5000 });
  await central.start();
  await assert.rejects(central.connect(PEER, { operationTimeoutMs: NaN }), InvalidArgumentError);
  const device = await central.connect(PEER, { operationTimeoutMs: 25 });
  assert.equal(device.operationTimeoutMs, 25);
  backend.connections.at(-1)!.held.add('discover');
  await assert.rejects(device.discover(), TimeoutError);
  // The abandoned discovery left no database behind.
  assert.deepEqual(device.services, []);
});

test('an aborted subscribe leaves no callback and no subscription, even when the backend finishes late', async () => {
  const { device, conn } = await connected();
  conn.held.add('subscribe');
  conn.ignoreSignal = true;
  const got: number[] = [];
  await assert.rejects(
    device.subscribe('2a37', (v) => got.push(v[0]!), { timeoutMs: 20 }),
    TimeoutError,
  );
  conn.releaseHeld();
  await new Promise((r) => setImmediate(r));
  // The backend enabled it after the caller had gone: the Device disabled it again.
  assert.deepEqual(
    conn.log.filter((l) => /subscribe/.test(l)),
    ['subscribe 18', 'unsubscribe 18'],
  );
  assert.equal(got.length, 0);
  // A new subscribe starts afresh.
  conn.ignoreSignal = false;
  await device.subscribe('2a37', (v) => got.push(v[0]!));
  conn.listeners.get(0x12)?.(Buffer.from([5]));
  assert.deepEqual(got, [5]);
});

test('a subscribe aborted while another caller waits for the same enabling keeps it for the other', async () => {
  const { device, conn } = await connected();
  conn.held.add('subscribe');
  const a: number[] = [];
  const b: number[] = [];
  const ac = new AbortController();
  const first = device.subscribe('2a37', (v) => a.push(v[0]!), { signal: ac.signal });
  await new Promise((r) => setImmediate(r));
  const second = device.subscribe('2a37', (v) => b.push(v[0]!));
  await new Promise((r) => setImmediate(r));
  ac.abort();
  await assert.rejects(first, AbortError);
  assert.ok(!conn.log.includes('cancel subscribe'));
  conn.releaseHeld();
  await second;
  conn.listeners.get(0x12)?.(Buffer.from([9]));
  assert.deepEqual(a, []);
  assert.deepEqual(b, [9]);
  assert.equal(conn.log.filter((l) => l.startsWith('subscribe')).length, 1);
});

test('the last waiting subscribe aborted cancels the backend enabling', async () => {
  const { device, conn } = await connected();
  conn.held.add('subscribe');
  const ac = new AbortController();
  const p = device.subscribe('2a37', () => undefined, { signal: ac.signal });
  await new Promise((r) => setImmediate(r));
  ac.abort();
  await assert.rejects(p, AbortError);
  await new Promise((r) => setImmediate(r));
  assert.ok(conn.log.includes('cancel subscribe'));
  assert.ok(!conn.log.includes('unsubscribe 18'));
});

test('Central.start/setPowered/reset/clearBond take signal and timeoutMs too', async () => {
  const backend = new FakeBackend();
  const central = new Central({ backend });
  await assert.rejects(central.start({ signal: AbortSignal.abort() }), AbortError);
  assert.equal(backend.started, false);
  await central.start({ timeoutMs: 1000 });
  await central.setPowered(true, { timeoutMs: 1000 });
  await central.reset({ signal: new AbortController().signal });
  await assert.rejects(central.clearBond(PEER, { signal: AbortSignal.abort() }), AbortError);
  assert.deepEqual(backend.bondsRemoved, []);
});
