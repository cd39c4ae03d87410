// Device1 calls: what counts as connected and paired already, and what the caller still sees.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PermissionError, BusyError } from '../../../src/core/errors.js';
import { connectDevice, pairDevice } from '../../../src/bluez/device.js';
import { isBluezError, mapDbusError } from '../../../src/bluez/errors.js';
import type { BluezBus } from '../../../src/bluez/session.js';
import { DbusError } from '../../../src/dbus/client/errors.js';

const PATH = '/org/bluez/hci0/dev_00_AA_01_01_00_01';

const bluezError = (name: string) =>
  mapDbusError(new DbusError(`org.bluez.Error.${name}`, 'x'), 'call');

/** A bus whose `member` call throws `error` (or answers); records the members called. */
function bus(props: Record<string, unknown>, errors: Record<string, Error> = {}) {
  const members: string[] = [];
  const b = {
    call: async (_p: string, _i: string, member: string) => {
      members.push(member);
      const e = errors[member];
      if (e) throw e;
      return [];
    },
    getAll: async () => props,
  };
  return { bus: b as unknown as BluezBus, members };
}

test('isBluezError tells BlueZ error names apart after mapping', () => {
  const e = bluezError('AlreadyExists');
  assert.equal(isBluezError(e, 'AlreadyExists'), true);
  assert.equal(isBluezError(e, 'AlreadyConnected'), false);
  assert.equal(isBluezError(new Error('AlreadyExists'), 'AlreadyExists'), false);
});

test('connectDevice counts AlreadyConnected as connected and passes other failures on', async () => {
  await connectDevice(bus({}, { Connect: bluezError('AlreadyConnected') }).bus, PATH);
  await assert.rejects(
    connectDevice(bus({}, { Connect: bluezError('InProgress') }).bus, PATH),
    BusyError,
  );
});

test('pairDevice leaves a paired device alone and counts AlreadyExists as paired', async () => {
  const paired = bus({ Paired: true });
  await pairDevice(paired.bus, PATH, 'dev');
  assert.deepEqual(paired.members, []);
  const exists = bus({ Paired: false }, { Pair: bluezError('AlreadyExists') });
  await pairDevice(exists.bus, PATH, 'dev');
  assert.deepEqual(exists.members, ['Pair']);
  const refused = bus({ Paired: false }, { Pair: bluezError('AuthenticationRejected') });
  await assert.rejects(pairDevice(refused.bus, PATH, 'dev'), PermissionError);
});
