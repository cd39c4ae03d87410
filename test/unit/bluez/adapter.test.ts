import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BackendError, InvalidArgumentError } from '../../../src/core/index.js';
import {
  connectByAddress,
  pickAdapter,
  startDiscovery,
  stopDiscovery,
  type AdapterInfo,
} from '../../../src/bluez/adapter.js';
import type { BluezBus, Variant } from '../../../src/bluez/session.js';

test('pickAdapter finds adapters by name, path or address', () => {
  const mk = (name: string, address: string): AdapterInfo => ({
    name,
    path: `/org/bluez/${name}`,
    address,
    alias: name,
    powered: true,
    discoverable: false,
    discoverableTimeout: 0,
    pairable: true,
    canAdvertise: true,
    canServeGatt: true,
  });
  const list = [mk('hci0', '00:AA:01:00:00:00'), mk('hci1', '00:AA:01:01:00:01')];
  assert.equal(pickAdapter(list, 'hci1').name, 'hci1');
  assert.equal(pickAdapter(list, '/org/bluez/hci0').name, 'hci0');
  assert.equal(pickAdapter(list, '00-aa-01-01-00-01').name, 'hci1');
  assert.equal(pickAdapter(list, undefined).name, 'hci0');
  assert.throws(() => pickAdapter(list, 'hci7'), /no adapter/);
  assert.throws(() => pickAdapter(list, 'eth0'), InvalidArgumentError);
  // The central names adapters by index too.
  assert.equal(pickAdapter(list, 1).name, 'hci1');
  assert.throws(() => pickAdapter(list, 7), /no adapter/);
  assert.throws(() => pickAdapter(list, -1), InvalidArgumentError);
});

/** Records every call; `fail` members reject. */
function discoveryBus(fail: string[] = []) {
  const calls: { member: string; body: unknown[] }[] = [];
  const b = {
    call: async (_p: string, _i: string, member: string, _s = '', body: unknown[] = []) => {
      calls.push({ member, body });
      if (fail.includes(member)) throw new BackendError(`${member} refused`, { backend: 'dbus' });
      return [];
    },
  };
  return { bus: b as unknown as BluezBus, calls };
}

test('startDiscovery sets an LE filter with every report, the UUIDs and RSSI, then starts', async () => {
  const { bus, calls } = discoveryBus();
  await startDiscovery(bus, '/org/bluez/hci0', { serviceUuids: ['180d'], minRssi: -70 });
  assert.deepEqual(
    calls.map((c) => c.member),
    ['SetDiscoveryFilter', 'StartDiscovery'],
  );
  const filter = calls[0]?.body[0] as Record<string, Variant>;
  assert.deepEqual(
    Object.fromEntries(Object.entries(filter).map(([k, v]) => [k, [v.signature, v.value]])),
    {
      Transport: ['s', 'le'],
      DuplicateData: ['b', true],
      UUIDs: ['as', ['180d']],
      RSSI: ['n', -70],
    },
  );
});

test('stopDiscovery clears the filter even when there was no discovery to stop', async () => {
  const { bus, calls } = discoveryBus(['StopDiscovery']);
  await stopDiscovery(bus, '/org/bluez/hci0');
  assert.deepEqual(
    calls.map((c) => [c.member, c.body]),
    [
      ['StopDiscovery', []],
      ['SetDiscoveryFilter', [{}]],
    ],
  );
});

test('connectByAddress names the address type only when given', async () => {
  const { bus, calls } = discoveryBus();
  await connectByAddress(bus, '/org/bluez/hci0', '00:AA:01:01:00:01');
  await connectByAddress(bus, '/org/bluez/hci0', '00:AA:01:01:00:01', 'random');
  assert.deepEqual(
    calls.map((c) => Object.keys(c.body[0] as object)),
    [['Address'], ['Address', 'AddressType']],
  );
});
