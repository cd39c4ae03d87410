import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidArgumentError } from '../../../src/core/index.js';
import { pickAdapter, type AdapterInfo } from '../../../src/bluez/adapter.js';

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
