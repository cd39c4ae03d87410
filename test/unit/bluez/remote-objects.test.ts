import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  advertisementFromDevice,
  buildDeviceGatt,
  handleFromPath,
  parseManagedObjects,
  propertiesFromFlags,
  scanResultFromDevice,
} from '../../../src/bluez/remote-objects.js';
import { devicePath } from '../../../src/bluez/adapter.js';
import { Variant } from '../../../src/dbus/client/variant.js';

const V = (s: string, v: unknown) => new Variant(s, v);
const DEV = '/org/bluez/hci0/dev_00_AA_01_01_00_01';

/** The shape GetManagedObjects returns for the example GATT server's heart rate service. */
function managedObjects(): Record<string, unknown> {
  const svc = `${DEV}/service0015`;
  return {
    '/org/bluez/hci0': { 'org.bluez.Adapter1': { Address: V('s', '00:AA:01:00:00:00') } },
    [DEV]: { 'org.bluez.Device1': { Address: V('s', '00:AA:01:01:00:01') } },
    [`${DEV}/service0015/char0016/desc0018`]: {
      'org.bluez.GattDescriptor1': {
        UUID: V('s', '00002902-0000-1000-8000-00805f9b34fb'),
        Characteristic: V('o', `${svc}/char0016`),
      },
    },
    [`${svc}/char0016`]: {
      'org.bluez.GattCharacteristic1': {
        UUID: V('s', '00002a37-0000-1000-8000-00805f9b34fb'),
        Service: V('o', svc),
        Flags: V('as', ['notify']),
        MTU: V('q', 517),
      },
    },
    [`${svc}/char0019`]: {
      'org.bluez.GattCharacteristic1': {
        UUID: V('s', '00002a38-0000-1000-8000-00805f9b34fb'),
        Service: V('o', svc),
        Flags: V('as', ['read', 'encrypt-write']),
      },
    },
    [svc]: {
      'org.bluez.GattService1': {
        UUID: V('s', '0000180d-0000-1000-8000-00805f9b34fb'),
        Primary: V('b', true),
      },
    },
    [`${DEV}/service0010`]: {
      'org.bluez.GattService1': {
        UUID: V('s', '0000180a-0000-1000-8000-00805f9b34fb'),
        Primary: V('b', true),
      },
    },
    '/org/bluez/hci0/dev_11_22_33_44_55_66/service0001': {
      'org.bluez.GattService1': { UUID: V('s', '00001800-0000-1000-8000-00805f9b34fb') },
    },
  };
}

test('object paths carry handles: char path = declaration, value = next', () => {
  assert.equal(handleFromPath(`${DEV}/service0015/char001a`), 0x1a);
  assert.equal(handleFromPath(`${DEV}/service0015/char001a/desc001c`), 0x1c);
  assert.equal(handleFromPath(DEV), undefined);
  assert.equal(
    devicePath('/org/bluez/hci1', '00:AA:01:01:00:01'),
    '/org/bluez/hci1/dev_00_AA_01_01_00_01',
  );
});

test('the device database is rebuilt with handles, in handle order, for that device only', () => {
  const g = buildDeviceGatt(parseManagedObjects(managedObjects()), DEV);
  assert.deepEqual(
    g.services.map((s) => [s.uuid.slice(4, 8), s.startHandle, s.endHandle]),
    [
      ['180a', 0x10, 0x10],
      ['180d', 0x15, 0x1a],
    ],
  );
  const [hrm, loc] = g.services[1]!.characteristics;
  assert.equal(hrm?.handle, 0x16);
  assert.equal(hrm?.valueHandle, 0x17);
  assert.deepEqual(hrm?.descriptors, [
    { uuid: '00002902-0000-1000-8000-00805f9b34fb', handle: 0x18 },
  ]);
  assert.equal(hrm?.properties.notify, true);
  assert.equal(loc?.properties.write, true, 'encrypt-write implies write');
  assert.equal(g.characteristicPaths.get(0x1a), `${DEV}/service0015/char0019`);
  assert.equal(g.descriptorPaths.get(0x18), `${DEV}/service0015/char0016/desc0018`);
  assert.equal(g.mtu, 517);
});

test('flags map to properties; unknown flags are ignored', () => {
  const p = propertiesFromFlags([
    'read',
    'write-without-response',
    'indicate',
    'reliable-write',
    'future-flag',
  ]);
  assert.equal(p.read && p.writeWithoutResponse && p.indicate && p.reliableWrite, true);
  assert.equal(p.write || p.notify, false);
});

test('advertising data is rebuilt from Device1 properties', () => {
  const props = {
    Address: '00:aa:01:01:00:01',
    AddressType: 'random',
    Name: 'blekit',
    RSSI: -42,
    TxPower: 4,
    Appearance: 0x0341,
    AdvertisingFlags: Buffer.from([0x06]),
    UUIDs: ['0000180d-0000-1000-8000-00805f9b34fb', '0000180D-0000-1000-8000-00805F9B34FB'],
    ServiceData: { '0000180f-0000-1000-8000-00805f9b34fb': V('ay', Buffer.from([0x64])) },
    ManufacturerData: { 1521: V('ay', Buffer.from([1, 2, 3])) },
  };
  const ad = advertisementFromDevice(props);
  assert.equal(ad.localName, 'blekit');
  assert.equal(ad.flags, 6);
  assert.equal(ad.txPower, 4);
  assert.equal(ad.appearance, 0x0341);
  assert.deepEqual(ad.serviceUuids, ['0000180d-0000-1000-8000-00805f9b34fb']);
  assert.deepEqual(ad.serviceData.get('0000180f-0000-1000-8000-00805f9b34fb'), Buffer.from([0x64]));
  assert.deepEqual(ad.manufacturerData.get(1521), Buffer.from([1, 2, 3]));
  const r = scanResultFromDevice(props, 5);
  assert.deepEqual(
    [r.address, r.addressType, r.rssi, r.name, r.timestamp],
    ['00:AA:01:01:00:01', 'random', -42, 'blekit', 5],
  );
  const bare = scanResultFromDevice({ Address: '00:AA:01:01:00:01' });
  assert.equal(bare.addressType, 'public');
  assert.equal(bare.rssi, undefined);
  // 127 is HCI's "not available", which BlueZ passes on as if it were a reading.
  const unavailable = scanResultFromDevice({ Address: '00:AA:01:01:00:01', RSSI: 127 });
  assert.equal('rssi' in unavailable, false);
});
