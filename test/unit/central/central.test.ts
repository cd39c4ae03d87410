import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Central } from '../../../src/central/central.js';
import type { ScanResult } from '../../../src/central/types.js';
import {
  AbortError,
  BusyError,
  InvalidArgumentError,
  NotConnectedError,
  emptyAdvertisingData,
} from '../../../src/core/index.js';
import { FakeBackend } from './fake-backend.js';

const PEER = '00:AA:01:01:00:01';

function report(address: string, name: string, rssi = -50): ScanResult {
  return {
    address,
    addressType: 'public',
    name,
    rssi,
    advertisement: emptyAdvertisingData(),
    timestamp: 0,
  };
}

async function started(): Promise<{ central: Central; backend: FakeBackend }> {
  const backend = new FakeBackend();
  const central = new Central({ backend, adapter: 'hci0' });
  await central.start();
  return { central, backend };
}

const tick = () => new Promise((r) => setImmediate(r));

test('the constructor and connect validate input before any I/O', async () => {
  const backend = new FakeBackend();
  assert.throws(() => new Central({ backend, adapter: 'eth0' }), InvalidArgumentError);
  const central = new Central({ backend });
  await assert.rejects(central.connect('00:AA'), InvalidArgumentError);
  await assert.rejects(central.scan(), NotConnectedError);
  await central.start();
  await assert.rejects(
    central.connect(PEER, { addressType: 'static' as never }),
    InvalidArgumentError,
  );
  await assert.rejects(
    central.connect(PEER, { securityLevel: 'max' as never }),
    InvalidArgumentError,
  );
  await assert.rejects(central.connect(PEER, { timeoutMs: -1 }), InvalidArgumentError);
  await assert.rejects(central.scan({ active: false }), InvalidArgumentError);
  await assert.rejects(central.scan({ serviceUuids: ['x'] }), InvalidArgumentError);
  assert.equal(backend.connectCalls, 0);
  assert.equal(backend.scanning, false);
});

test('scan lists one entry per address, filters, emits events and stops after its duration', async () => {
  const { central, backend } = await started();
  const events: ScanResult[] = [];
  central.on('discover', (r) => events.push(r));
  const p = central.scan({ durationMs: 50, nameContains: 'hr' });
  await tick();
  assert.equal(backend.scanning, true);
  backend.sink?.(report(PEER, 'blekit-hr', -70));
  backend.sink?.(report(PEER, 'blekit-hr', -40));
  backend.sink?.(report('00:AA:01:00:00:09', 'other'));
  const list = await p;
  assert.equal(backend.scanning, false);
  assert.equal(list.length, 1);
  assert.equal(list[0]?.rssi, -40, 'the list keeps the latest report');
  assert.equal(events.length, 1, 'without duplicates an unchanged advertisement is reported once');
});

test('duplicates: true reports every advertisement', async () => {
  const { central, backend } = await started();
  const seen: ScanResult[] = [];
  central.on('discover', (r) => seen.push(r));
  const p = central.scan({ durationMs: 30, duplicates: true });
  await tick();
  for (let i = 0; i < 5; i++) backend.sink?.(report(PEER, 'x'));
  await p;
  assert.equal(seen.length, 5);
});

test('aborting a scan ends it normally; one scan at a time', async () => {
  const { central, backend } = await started();
  const ac = new AbortController();
  const p = central.scan({ durationMs: Infinity, signal: ac.signal });
  await tick();
  await assert.rejects(central.scan({ durationMs: 10 }), BusyError);
  backend.sink?.(report(PEER, 'a'));
  ac.abort();
  assert.equal((await p).length, 1);
  assert.equal(backend.scanning, false);
  const pre = new AbortController();
  pre.abort();
  await assert.rejects(central.scan({ signal: pre.signal }), AbortError);
});

test('scanStream yields live results and breaking out stops the scan', async () => {
  const { central, backend } = await started();
  const got: string[] = [];
  const feeder = (async () => {
    await tick();
    backend.sink?.(report(PEER, 'one'));
    backend.sink?.(report('00:AA:01:00:00:02', 'two'));
  })();
  for await (const r of central.scanStream({ durationMs: 5_000 })) {
    got.push(r.name ?? '');
    if (got.length === 2) break;
  }
  await feeder;
  assert.deepEqual(got, ['one', 'two']);
  assert.equal(backend.scanning, false);
});

test('connect passes options to the backend and pairs above low security', async () => {
  const { central, backend } = await started();
  const d = await central.connect(PEER.toLowerCase(), {
    addressType: 'random',
    securityLevel: 'medium',
  });
  assert.equal(d.address, PEER);
  assert.equal(d.addressType, 'random');
  assert.deepEqual(backend.connections[0]?.log, ['pair medium']);
  assert.deepEqual(central.connectedDevices(), [d]);
  await central.stop();
  assert.equal(d.connected, false);
  assert.equal(backend.started, false);
});

test('clearBond validates and forwards one address or all', async () => {
  const { central, backend } = await started();
  await assert.rejects(central.clearBond('nope'), InvalidArgumentError);
  await central.clearBond(PEER.toLowerCase());
  await central.clearBond();
  assert.deepEqual(backend.bondsRemoved, [PEER, undefined]);
});

test('await using stops the central and disconnects the device when the scope ends', async () => {
  const backend = new FakeBackend();
  let kept: { connected: boolean } | undefined;
  {
    await using central = new Central({ backend });
    await central.start();
    await using device = await central.connect(PEER);
    kept = device;
    assert.ok(device.connected);
  }
  assert.equal(kept?.connected, false);
  assert.deepEqual(backend.connections[0]?.log, ['disconnect']);
  assert.equal(backend.started, false);
});

test('scanStream keeps the newest reports for a slow consumer and counts what it dropped', async () => {
  const { central, backend } = await started();
  const stream = central.scanStream({ durationMs: 5_000, duplicates: true, bufferSize: 2 });
  const first = stream.next();
  while (!backend.sink) await new Promise((r) => setImmediate(r));
  for (let i = 1; i <= 5; i++) backend.sink(report(PEER, `n${i}`));
  assert.equal((await first).value?.name, 'n1');
  assert.equal((await stream.next()).value?.name, 'n4');
  assert.equal(stream.dropped, 2);
  await stream.return?.();
  assert.equal(backend.scanning, false);
});
