// Issue 19: every Peripheral operation that waits takes { signal, timeoutMs }, and a call the
// caller stopped waiting for leaves nothing registered once bluetoothd completes it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AbortError, InvalidArgumentError, TimeoutError } from '../../../src/core/errors.js';
import type { PeripheralBus } from '../../../src/bluez/calls.js';
import { Agent, Peripheral } from '../../../src/peripheral/index.js';
import { FakeBluez } from './fake-bus.js';

const SERVICE = '0000f000-0000-1000-8000-00805f9b34fb';

function open(bus: FakeBluez, extra: { operationTimeoutMs?: number } = {}): Promise<Peripheral> {
  return Peripheral.open({
    adapter: 'hci1',
    bus: bus as unknown as PeripheralBus,
    handleSignals: false,
    ...extra,
  });
}

/** Resolves once `bus` has been asked `member` (polling its call log). */
async function asked(bus: FakeBluez, member: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (bus.calls.some((c) => c.member === member)) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`${member} was never called`);
}

test('an advertisement aborted while bluetoothd registers it is unregistered when it lands', async () => {
  const bus = new FakeBluez();
  const p = await open(bus);
  const release = bus.hold('RegisterAdvertisement');
  const ac = new AbortController();
  const pending = p.advertise({ localName: 'x' }, { signal: ac.signal });
  await asked(bus, 'RegisterAdvertisement');
  ac.abort();
  await assert.rejects(pending, AbortError);
  assert.ok(!bus.calls.some((c) => c.member === 'UnregisterAdvertisement'));
  release();
  await asked(bus, 'UnregisterAdvertisement');
  await p.close();
});

test('an agent registration past its timeoutMs is a TimeoutError and is taken back', async () => {
  const bus = new FakeBluez();
  const p = await open(bus);
  const release = bus.hold('RegisterAgent');
  await assert.rejects(p.registerAgent(new Agent(), { timeoutMs: 30 }), TimeoutError);
  release();
  await asked(bus, 'UnregisterAgent');
  await p.close();
});

test("the peripheral's operationTimeoutMs bounds addServices; the application is unregistered after", async () => {
  const bus = new FakeBluez();
  const p = await open(bus, { operationTimeoutMs: 30 });
  const release = bus.hold('RegisterApplication');
  await assert.rejects(
    p.addServices([{ uuid: SERVICE, characteristics: [{ uuid: 'f001', flags: ['read'] }] }]),
    TimeoutError,
  );
  release();
  await asked(bus, 'UnregisterApplication');
  assert.equal(p.applications[0]?.services.length, 0, 'the service left the application');
  await p.close();
});

test('a call that completes in time is kept; bad limits are refused up front', async () => {
  const bus = new FakeBluez();
  const p = await open(bus);
  const ad = await p.advertise({ localName: 'kept' }, { timeoutMs: 5000 });
  assert.ok(ad.isActive);
  assert.ok(!bus.calls.some((c) => c.member === 'UnregisterAdvertisement'));
  await p.close();
  await assert.rejects(open(new FakeBluez(), { operationTimeoutMs: -1 }), InvalidArgumentError);
  const aborted = AbortSignal.abort();
  await assert.rejects(
    Peripheral.open({
      adapter: 'hci1',
      bus: new FakeBluez() as unknown as PeripheralBus,
      handleSignals: false,
      signal: aborted,
    }),
    AbortError,
  );
});
