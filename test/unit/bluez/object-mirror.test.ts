import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ObjectMirror, serviceNodes } from '../../../src/bluez/object-mirror.js';
import { buildDeviceGatt } from '../../../src/bluez/remote-objects.js';
import { IFACE, type ObjectTree, type Props } from '../../../src/bluez/names.js';

const DEV = '/org/bluez/hci0/dev_00_AA_01_01_00_01';
const SVC = `${DEV}/service0015`;

const ifaces = (iface: string, props: Props) => new Map([[iface, props]]);
const service = (uuid: string) => ifaces(IFACE.service, { UUID: uuid, Primary: true });
const characteristic = (svc: string, uuid: string, flags: string[]) =>
  ifaces(IFACE.characteristic, { UUID: uuid, Service: svc, Flags: flags, Value: Buffer.alloc(0) });

/** A mirror loaded with an adapter and a device without GATT objects yet. */
async function seeded(): Promise<ObjectMirror> {
  const m = new ObjectMirror('/org/bluez');
  const tree: ObjectTree = new Map([
    ['/org/bluez/hci0', ifaces(IFACE.adapter, { Address: '00:AA:01:00:00:00', Powered: true })],
    [DEV, ifaces(IFACE.device, { Address: '00:AA:01:01:00:01', Connected: false })],
    ['/', ifaces('org.example.Outside', {})],
  ]);
  await m.load(async () => tree);
  return m;
}

/** What bluetoothd announces for a heart rate service once it has discovered it. */
function addHeartRate(m: ObjectMirror): void {
  m.added(SVC, service('0000180d-0000-1000-8000-00805f9b34fb'));
  m.added(
    `${SVC}/char0016`,
    characteristic(SVC, '00002a37-0000-1000-8000-00805f9b34fb', ['notify']),
  );
  m.added(
    `${SVC}/char0016/desc0018`,
    ifaces(IFACE.descriptor, {
      UUID: '00002902-0000-1000-8000-00805f9b34fb',
      Characteristic: `${SVC}/char0016`,
    }),
  );
}

test('the mirror keeps what is under its root, from the snapshot and from signals', async () => {
  const m = await seeded();
  assert.equal(m.objects.has('/'), false, 'outside the root');
  assert.equal(m.hasServices(DEV), false);
  m.changed(DEV, IFACE.device, { Connected: true, RSSI: -40 }, []);
  m.changed(DEV, IFACE.device, {}, ['RSSI']);
  assert.deepEqual(m.get(DEV, IFACE.device), { Address: '00:AA:01:01:00:01', Connected: true });
  addHeartRate(m);
  m.added('/org/other/x', service('0000180f-0000-1000-8000-00805f9b34fb'));
  assert.equal(m.objects.has('/org/other/x'), false);
  assert.equal(m.hasServices(DEV), true);
  assert.equal(m.hasServices('/org/bluez/hci0/dev_00_AA_01_01_00_0'), false, 'a path prefix');
  m.removed(DEV, [IFACE.device]);
  assert.equal(m.objects.has(DEV), false, 'an object without interfaces is gone');
  m.changed(DEV, IFACE.device, { Connected: false }, []);
  assert.equal(m.objects.has(DEV), false, 'a change does not bring a removed object back');
});

test('property changes update in place, and notification values are not kept', async () => {
  const m = await seeded();
  addHeartRate(m);
  const props = m.get(`${SVC}/char0016`, IFACE.characteristic) as Props;
  m.changed(`${SVC}/char0016`, IFACE.characteristic, { Value: Buffer.from([1, 2]) }, []);
  m.changed(`${SVC}/char0016`, IFACE.characteristic, { Notifying: true, MTU: 247 }, []);
  assert.equal(m.get(`${SVC}/char0016`, IFACE.characteristic), props, 'same object');
  assert.deepEqual(props.Value, Buffer.alloc(0));
  assert.equal(props.Notifying, true);
  assert.equal(buildDeviceGatt(m.objects, DEV).mtu, 247);
});

test('the device database is built from the mirror; a removed service disappears', async () => {
  const m = await seeded();
  addHeartRate(m);
  const battery = `${DEV}/service0020`;
  m.added(battery, service('0000180f-0000-1000-8000-00805f9b34fb'));
  m.added(
    `${battery}/char0021`,
    characteristic(battery, '00002a19-0000-1000-8000-00805f9b34fb', ['read']),
  );
  let g = buildDeviceGatt(m.objects, DEV);
  assert.deepEqual(
    g.services.map((s) => [s.uuid.slice(4, 8), s.startHandle, s.endHandle]),
    [
      ['180d', 0x15, 0x18],
      ['180f', 0x20, 0x22],
    ],
  );
  assert.equal(g.characteristicPaths.get(0x17), `${SVC}/char0016`);
  assert.equal(g.descriptorPaths.get(0x18), `${SVC}/char0016/desc0018`);

  // Service Changed: bluetoothd removes the old objects and adds the new ones.
  m.removed(`${battery}/char0021`, [IFACE.characteristic]);
  m.removed(battery, [IFACE.service]);
  const moved = `${DEV}/service0030`;
  m.added(moved, service('0000181a-0000-1000-8000-00805f9b34fb'));
  g = buildDeviceGatt(m.objects, DEV);
  assert.deepEqual(
    g.services.map((s) => s.uuid.slice(4, 8)),
    ['180d', '181a'],
  );
  assert.equal(g.characteristicPaths.has(0x22), false);

  for (const p of [`${SVC}/char0016/desc0018`, `${SVC}/char0016`])
    m.removed(p, [...m.objects.get(p)!.keys()]);
  m.removed(SVC, [IFACE.service]);
  m.removed(moved, [IFACE.service]);
  assert.equal(m.hasServices(DEV), false);
  assert.deepEqual(buildDeviceGatt(m.objects, DEV).services, []);
});

test('a snapshot replaces the mirror, and signals that arrive while it is pending win', async () => {
  const m = await seeded();
  addHeartRate(m);
  let answer!: (t: ObjectTree) => void;
  const loading = m.load(() => new Promise<ObjectTree>((r) => (answer = r)));
  // bluetoothd answers with the state before these two signals; they reach us first.
  const stale: ObjectTree = new Map([
    [DEV, ifaces(IFACE.device, { Address: '00:AA:01:01:00:01', ServicesResolved: true })],
    [SVC, service('0000180d-0000-1000-8000-00805f9b34fb')],
  ]);
  m.removed(SVC, [IFACE.service]);
  m.changed(DEV, IFACE.device, { ServicesResolved: false }, []);
  answer(stale);
  await loading;
  assert.equal(m.hasServices(DEV), false);
  assert.equal(m.get(DEV, IFACE.device)?.ServicesResolved, false);
  assert.equal(m.objects.has(`${SVC}/char0016`), false, 'the snapshot replaced the old objects');
});

test('a failed snapshot leaves the mirror as it was and stops journaling', async () => {
  const m = await seeded();
  await assert.rejects(
    m.load(async () => {
      throw new Error('bus gone');
    }),
    /bus gone/,
  );
  assert.equal(m.objects.has(DEV), true);
  m.added(SVC, service('0000180d-0000-1000-8000-00805f9b34fb'));
  assert.equal(m.hasServices(DEV), true);
});

// Objects, interfaces and keys from a small set, so the operations collide often.
const pathArb = fc.constantFrom(DEV, SVC, `${SVC}/char0016`);
const ifaceArb = fc.constantFrom('A', 'B');
const propsArb = fc.dictionary(fc.constantFrom('x', 'y', 'Value'), fc.integer({ max: 9, min: 0 }));
const opArb = fc.oneof(
  fc.record({
    kind: fc.constant('added' as const),
    path: pathArb,
    ifaces: fc.uniqueArray(fc.tuple(ifaceArb, propsArb), {
      minLength: 1,
      selector: (t) => t[0],
    }),
  }),
  fc.record({
    kind: fc.constant('removed' as const),
    path: pathArb,
    names: fc.uniqueArray(ifaceArb, { minLength: 1 }),
  }),
  fc.record({
    kind: fc.constant('changed' as const),
    path: pathArb,
    iface: ifaceArb,
    changed: propsArb,
    invalidated: fc.uniqueArray(fc.constantFrom('x', 'y')),
  }),
);
type ArbOp = typeof opArb extends fc.Arbitrary<infer T> ? T : never;

function deliver(m: ObjectMirror, op: ArbOp): void {
  if (op.kind === 'added') {
    m.added(op.path, new Map(op.ifaces.map(([n, p]) => [n, { ...p }])));
  } else if (op.kind === 'removed') m.removed(op.path, op.names);
  else m.changed(op.path, op.iface, op.changed, op.invalidated);
}

function plain(t: ObjectTree): unknown {
  return [...t]
    .map(([p, i]) => [p, [...i].sort(([a], [b]) => a.localeCompare(b))] as const)
    .sort(([a], [b]) => a.localeCompare(b));
}

test('property: snapshot + replayed signals = every signal applied to the first state', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(opArb, { maxLength: 6 }),
      fc.array(opArb, { maxLength: 12 }),
      fc.nat(),
      async (before, during, cut) => {
        // The truth: bluetoothd's objects after `before`, then after all of `during`.
        const truth = new ObjectMirror('/org/bluez');
        for (const op of before) deliver(truth, op);
        const start = structuredClone(truth.objects);
        // bluetoothd answers at some point among the signals it sends meanwhile.
        const k = cut % (during.length + 1);
        const atAnswer = new ObjectMirror('/org/bluez');
        await atAnswer.load(async () => structuredClone(start));
        for (const op of during.slice(0, k)) deliver(atAnswer, op);
        for (const op of during) deliver(truth, op);

        const m = new ObjectMirror('/org/bluez');
        m.added(`${DEV}/stale`, new Map([['A', { x: 1 }]]));
        let answer!: (t: ObjectTree) => void;
        const loading = m.load(() => new Promise<ObjectTree>((r) => (answer = r)));
        for (const op of during) deliver(m, op);
        answer(structuredClone(atAnswer.objects));
        await loading;
        assert.deepEqual(plain(m.objects), plain(truth.objects));
      },
    ),
    { numRuns: 300 },
  );
});
test('narrowing the mirror drops the other adapters and ignores them from then on', async () => {
  const m = await seeded();
  const other = '/org/bluez/hci1/dev_00_AA_01_00_00_00';
  m.added(other, ifaces(IFACE.device, { Address: '00:AA:01:00:00:00' }));
  m.narrow('/org/bluez/hci0');
  assert.deepEqual([...m.objects.keys()].sort(), ['/org/bluez/hci0', DEV]);
  m.added(`${other}/service0001`, service('00001801-0000-1000-8000-00805f9b34fb'));
  m.added('/org/bluez/hci01/dev_x', service('00001801-0000-1000-8000-00805f9b34fb'));
  assert.equal(m.objects.size, 2);
});

test('the services bluetoothd lists in Introspect are checked against the mirror', async () => {
  const xml = `<!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN"
"http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">
<node><interface name="org.bluez.Device1"><method name="Connect"></method></interface>
<node name="service0015"/><node name="service0020"/><node name="fd0"/></node>`;
  assert.deepEqual(serviceNodes(xml), ['service0015', 'service0020']);
  assert.deepEqual(serviceNodes('<node></node>'), []);
  const m = await seeded();
  addHeartRate(m);
  assert.equal(m.hasAllServices(DEV, ['service0015']), true);
  assert.equal(m.hasAllServices(DEV, serviceNodes(xml)), false, 'service0020 not announced yet');
  m.added(`${DEV}/service0020`, service('0000180f-0000-1000-8000-00805f9b34fb'));
  assert.equal(m.hasAllServices(DEV, serviceNodes(xml)), true);
});
