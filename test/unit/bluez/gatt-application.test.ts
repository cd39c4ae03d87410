import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AttError } from '../../../src/core/index.js';
import { ObjectTree, splitSignature } from '../../../src/dbus/client/object-tree.js';
import { Variant } from '../../../src/dbus/client/variant.js';
import { GattApplication } from '../../../src/bluez/gatt-application.js';
import { characteristic, descriptor, onWrite, Service } from '../../../src/peripheral/index.js';
import type { WriteRequest } from '../../../src/peripheral/index.js';
import { FakeBus, opts } from '../peripheral/fake-bus.js';

const CHAR = 'org.bluez.GattCharacteristic1';
const DESC = 'org.bluez.GattDescriptor1';
const OM = 'org.freedesktop.DBus.ObjectManager';

function setup(): { bus: FakeBus; app: GattApplication; tree: ObjectTree; errors: unknown[] } {
  const bus = new FakeBus();
  const tree = new ObjectTree(bus, { failedErrorName: 'org.bluez.Error.Failed' });
  tree.attach();
  const errors: unknown[] = [];
  const app = new GattApplication(
    {
      tree,
      bus,
      adapterPath: '/org/bluez/hci1',
      roundTrip: async () => undefined,
      soleDevice: () => undefined,
      reportHandlerError: (e) => errors.push(e),
    },
    '/test/app0',
  );
  return { bus, app, tree, errors };
}

test('included services come before the including service in GetManagedObjects', async () => {
  const { bus, app } = setup();
  const battery = {
    uuid: '180f',
    primary: false,
    characteristics: [{ uuid: '2a19', value: [99] }],
  };
  await app.addService({ uuid: '180d', includes: [battery], characteristics: [{ uuid: '2a37' }] });
  await app.register();
  const reg = bus.calls.find((m) => m.member === 'RegisterApplication');
  assert.deepEqual(reg?.body[0], '/test/app0');
  const reply = await bus.invoke('/test/app0', OM, 'GetManagedObjects');
  const tree = reply.body[0] as Record<string, Record<string, Record<string, { value: unknown }>>>;
  const services = Object.entries(tree).filter(([, i]) => 'org.bluez.GattService1' in i);
  assert.deepEqual(
    services.map(([, i]) => i['org.bluez.GattService1']?.UUID?.value),
    ['0000180f-0000-1000-8000-00805f9b34fb', '0000180d-0000-1000-8000-00805f9b34fb'],
  );
  const hr = services[1]?.[1]['org.bluez.GattService1'];
  assert.deepEqual(hr?.Includes?.value, [services[0]?.[0]]);
  assert.equal(services[0]?.[1]['org.bluez.GattService1']?.Primary?.value, false);
  // Every characteristic names its service; flags default to ['read'].
  const chars = Object.entries(tree).filter(([, i]) => CHAR in i);
  assert.equal(chars.length, 2);
  for (const [, i] of chars) assert.deepEqual(i[CHAR]?.Flags?.value, ['read']);
  await app.unregister();
  assert.ok(bus.calls.some((m) => m.member === 'UnregisterApplication'));
});

test('ReadValue applies the offset; handler AttErrors become the matching D-Bus error', async () => {
  const { bus, app, errors } = setup();
  const long = Buffer.from(Array.from({ length: 300 }, (_, i) => i & 0xff));
  const svc = await app.addService({
    uuid: '1234',
    characteristics: [
      { uuid: 'aaaa', onRead: () => long },
      {
        uuid: 'bbbb',
        flags: ['read', 'write'],
        onRead: () => {
          throw new AttError(0x85);
        },
        onWrite: () => {
          throw new AttError(0x0d);
        },
      },
      {
        uuid: 'cccc',
        onRead: () => {
          throw new Error('bug');
        },
      },
    ],
  });
  await app.register();
  const [a, b, c] = svc.characteristics;
  let r = await bus.invoke(a!.path, CHAR, 'ReadValue', 'a{sv}', [
    opts({ offset: ['q', 250], mtu: ['q', 23] }),
  ]);
  assert.deepEqual(r.body[0], long.subarray(250));
  r = await bus.invoke(a!.path, CHAR, 'ReadValue', 'a{sv}', [opts({ offset: ['q', 301] })]);
  assert.equal(r.errorName, 'org.bluez.Error.InvalidOffset');
  r = await bus.invoke(b!.path, CHAR, 'ReadValue', 'a{sv}', [{}]);
  assert.equal(r.errorName, 'org.bluez.Error.Failed');
  assert.deepEqual(r.body, ['0x85']);
  r = await bus.invoke(b!.path, CHAR, 'WriteValue', 'aya{sv}', [Buffer.from([1]), {}]);
  assert.equal(r.errorName, 'org.bluez.Error.InvalidValueLength');
  r = await bus.invoke(c!.path, CHAR, 'ReadValue', 'a{sv}', [{}]);
  assert.deepEqual(r.body, ['0xff']);
  assert.equal(errors.length, 1);
  r = await bus.invoke(c!.path, CHAR, 'ReadValue', 'ay', [Buffer.alloc(0)]);
  assert.equal(r.errorName, 'org.freedesktop.DBus.Error.InvalidArgs');
});

test('writes without a handler store the value; write events carry the device', async () => {
  const { bus, app } = setup();
  const svc = await app.addService({
    uuid: '1234',
    characteristics: [{ uuid: 'aaaa', flags: ['read', 'write'], value: 'hi' }],
  });
  await app.register();
  const ch = svc.characteristics[0]!;
  const seen: WriteRequest[] = [];
  ch.on('write', (w) => seen.push(w));
  const dev = '/org/bluez/hci1/dev_00_AA_01_00_00_00';
  const r = await bus.invoke(ch.path, CHAR, 'WriteValue', 'aya{sv}', [
    Buffer.from('yo!'),
    opts({ device: ['o', dev], link: ['s', 'LE'] }),
  ]);
  assert.equal(r.errorName, undefined);
  assert.equal(ch.value.toString(), 'yo!');
  assert.equal(seen[0]?.device?.address, '00:AA:01:00:00:00');
  assert.equal(seen[0]?.link, 'LE');
  assert.equal(seen[0]?.type, undefined);
});

test('BlueZ can set Handle; notify emits a Value PropertiesChanged signal', async () => {
  const { bus, app } = setup();
  const svc = await app.addService({
    uuid: '1234',
    characteristics: [{ uuid: 'aaaa', flags: ['notify'], fastNotify: false }],
  });
  await app.register();
  const ch = svc.characteristics[0]!;
  await bus.invoke(ch.path, 'org.freedesktop.DBus.Properties', 'Set', 'ssv', [
    CHAR,
    'Handle',
    new Variant('q', 0x2a),
  ]);
  assert.equal(ch.handle, 0x2a);
  await ch.notify([1, 2, 3]);
  const sig = bus.sent.find((m) => m.member === 'PropertiesChanged');
  assert.equal(sig?.path, ch.path);
  assert.equal(sig?.body[0], CHAR);
  assert.deepEqual(
    (sig?.body[1] as Record<string, { value: Buffer }>).Value?.value,
    Buffer.from([1, 2, 3]),
  );
  // No AcquireNotify offered when the fast path is off.
  const all = await bus.invoke(ch.path, 'org.freedesktop.DBus.Properties', 'GetAll', 's', [CHAR]);
  assert.equal('NotifyAcquired' in (all.body[0] as object), false);
});

test('StartNotify/StopNotify become subscribe/unsubscribe events on the service', async () => {
  const { bus, app } = setup();
  const svc = await app.addService({
    uuid: '1234',
    characteristics: [{ uuid: 'aaaa', flags: ['indicate'], fastNotify: false }],
  });
  await app.register();
  const ch = svc.characteristics[0]!;
  const events: string[] = [];
  svc.on('subscribe', () => events.push('sub'));
  svc.on('unsubscribe', () => events.push('unsub'));
  await bus.invoke(ch.path, CHAR, 'StartNotify');
  assert.equal(ch.isNotifying, true);
  const confirmed = ch.indicate([1], { timeoutMs: 2000 });
  await new Promise((r) => setImmediate(r));
  await bus.invoke(ch.path, CHAR, 'Confirm');
  await confirmed;
  await bus.invoke(ch.path, CHAR, 'StopNotify');
  assert.deepEqual(events, ['sub', 'unsub']);
});

test('a decorated Service class declares characteristics, descriptors and write handlers', async () => {
  class Thermo extends Service {
    celsius = 21;
    constructor() {
      super('181a');
    }
    @characteristic('2a6e', { flags: ['read', 'write', 'notify'] })
    temperature() {
      return Buffer.from([this.celsius]);
    }
    @descriptor('2901', 'temperature')
    label() {
      return 'Temperature';
    }
    @onWrite('temperature')
    setTemperature(req: WriteRequest) {
      this.celsius = req.value[0] ?? 0;
    }
  }
  const { bus, app } = setup();
  const t = new Thermo();
  const def = t.toDefinition();
  assert.equal(def.characteristics?.length, 1);
  assert.equal(def.characteristics?.[0]?.descriptors?.length, 1);
  await app.addService(t);
  await app.register();
  const ch = t.characteristic('temperature');
  await bus.invoke(ch.path, CHAR, 'WriteValue', 'aya{sv}', [Buffer.from([30]), {}]);
  assert.equal(t.celsius, 30);
  const r = await bus.invoke(ch.path, CHAR, 'ReadValue', 'a{sv}', [{}]);
  assert.deepEqual(r.body[0], Buffer.from([30]));
  const d = await bus.invoke(ch.descriptors[0]!.path, DESC, 'ReadValue', 'a{sv}', [
    opts({ offset: ['q', 4] }),
  ]);
  assert.equal((d.body[0] as Buffer).toString(), 'erature');
  assert.throws(() => t.characteristic('label'), /no characteristic/);
});

test('cyclic includes are refused before any registration', async () => {
  const { bus, app } = setup();
  const a: { uuid: string; includes: unknown[] } = { uuid: '1111', includes: [] };
  const b = { uuid: '2222', includes: [a] };
  a.includes.push(b);
  await assert.rejects(app.addService(a as never), /cycle/);
  assert.equal(bus.calls.length, 0);
});

test('splitSignature splits complete types', () => {
  assert.deepEqual(splitSignature('aya{sv}'), ['ay', 'a{sv}']);
  assert.deepEqual(splitSignature('oa{sa{sv}}(ii)q'), ['o', 'a{sa{sv}}', '(ii)', 'q']);
  assert.deepEqual(splitSignature(''), []);
});
