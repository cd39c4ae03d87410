// Issue 18: bluetoothd killed and started again under a running Peripheral. The Peripheral must
// see it leave (bluezLost), register its application, advertisement and agents with the new one
// once the adapter is back (bluezRestored), and say so when it cannot; close() drops the watch.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BackendError, BleError } from '../../../src/core/errors.js';
import type { PeripheralBus } from '../../../src/bluez/calls.js';
import { Agent, Peripheral, type RestoredCounts } from '../../../src/peripheral/index.js';
import { FakeBluez as Bluez } from './fake-bus.js';

const SERVICE = '0000f000-0000-1000-8000-00805f9b34fb';

async function running(bus: Bluez): Promise<Peripheral> {
  // The fake's on() returns itself, not a DbusClient; nothing here chains on it.
  const p = await Peripheral.open({
    adapter: 'hci1',
    bus: bus as unknown as PeripheralBus,
    handleSignals: false,
  });
  await p.addServices([
    {
      uuid: SERVICE,
      characteristics: [{ uuid: 'f001', flags: ['read'], value: Buffer.from('x') }],
    },
  ]);
  await p.advertise({ localName: 'restart', serviceUuids: [SERVICE] });
  await p.registerAgent(new Agent(), { asDefault: true });
  return p;
}

function next<T extends unknown[]>(p: Peripheral, event: 'bluezRestored' | 'error'): Promise<T> {
  return new Promise((resolve) => p.once(event, (...args: unknown[]) => resolve(args as T)));
}

test('bluetoothd leaving and a new one arriving: lost, then everything registered again', async () => {
  const bus = new Bluez();
  const p = await running(bus);
  let lost = 0;
  p.on('bluezLost', () => lost++);

  bus.owner(':1.4', '');
  assert.equal(lost, 1);
  assert.equal(p.applications[0]!.isRegistered, false);
  // Someone else's name changing owner is not bluetoothd.
  bus.owner('', ':1.7', 'org.example');
  assert.equal(lost, 1);

  bus.adapterPresent = false;
  const mark = bus.calls.length;
  const restored = next<[RestoredCounts]>(p, 'bluezRestored');
  bus.owner('', ':1.12');
  // Nothing is registered before the new bluetoothd has the adapter.
  await new Promise((r) => setTimeout(r, 250));
  assert.deepEqual(
    bus.membersSince(mark).filter((m) => m !== 'GetManagedObjects'),
    [],
    'waits for the adapter',
  );
  bus.adapterPresent = true;
  const [counts] = await restored;
  assert.deepEqual(counts, { applications: 1, advertisements: 1, agents: 1 });
  assert.deepEqual(
    bus.membersSince(mark).filter((m) => m !== 'GetManagedObjects'),
    ['RegisterApplication', 'RegisterAdvertisement', 'RegisterAgent', 'RequestDefaultAgent'],
  );
  assert.equal(p.applications[0]!.isRegistered, true);
  assert.equal(lost, 1);
  await p.close();
});

test('a registration the new bluetoothd refuses is one typed error, not silence', async () => {
  const bus = new Bluez();
  const p = await running(bus);
  let restored = false;
  p.on('bluezRestored', () => (restored = true));
  bus.owner(':1.4', '');
  bus.fail.add('RegisterAdvertisement');
  const failed = next<[Error]>(p, 'error');
  bus.owner('', ':1.12');
  const [err] = await failed;
  assert.ok(err instanceof BackendError && err instanceof BleError, String(err));
  assert.match(err.message, /RegisterAdvertisement/);
  // The rest was still registered again.
  assert.equal(p.applications[0]!.isRegistered, true);
  assert.equal(restored, false);
  // The refused advertisement is offered to the next bluetoothd.
  bus.fail.clear();
  bus.owner(':1.12', '');
  const again = next<[RestoredCounts]>(p, 'bluezRestored');
  bus.owner('', ':1.20');
  assert.deepEqual((await again)[0], { applications: 1, advertisements: 1, agents: 1 });
  await p.close();
});

test('without an error listener the failure is a warning', async () => {
  const bus = new Bluez();
  const p = await running(bus);
  bus.owner(':1.4', '');
  bus.fail.add('RegisterAgent');
  const warned = new Promise<Error & { code?: string }>((resolve) =>
    process.once('warning', resolve),
  );
  bus.owner('', ':1.12');
  const w = await warned;
  assert.equal(w.code, 'BLEKIT_BLUEZ_REREGISTER_FAILED');
  assert.match(w.message, /RegisterAgent/);
  await p.close();
});

test('a direct change of owner counts as a restart too', async () => {
  const bus = new Bluez();
  const p = await running(bus);
  let lost = 0;
  p.on('bluezLost', () => lost++);
  const restored = next<[RestoredCounts]>(p, 'bluezRestored');
  bus.owner(':1.4', ':1.12');
  assert.equal(lost, 1);
  assert.deepEqual((await restored)[0], { applications: 1, advertisements: 1, agents: 1 });
  await p.close();
});

test('close() drops the owner watch: no match left, later changes ignored', async () => {
  const bus = new Bluez();
  const p = await running(bus);
  const ownerRules = () => [...bus.matches.values()].filter((r) => r.member === 'NameOwnerChanged');
  assert.equal(ownerRules().length, 1);
  assert.equal(ownerRules()[0]!.arg0, 'org.bluez');
  await p.close();
  assert.equal(bus.matches.size, 0, 'every match removed');
  let events = 0;
  p.on('bluezLost', () => events++);
  const mark = bus.calls.length;
  bus.owner(':1.4', '');
  bus.owner('', ':1.12');
  await new Promise((r) => setTimeout(r, 150));
  assert.equal(events, 0);
  assert.deepEqual(bus.membersSince(mark), []);
});
