import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { BluezBus, MAX_PENDING_CALLS } from '../../../src/bluez/session.js';
import { AttError } from '../../../src/core/index.js';
import { DbusError } from '../../../src/dbus/client/errors.js';
import { Variant } from '../../../src/dbus/client/variant.js';

/** A stand-in for blekit's DbusClient that answers after a delay and counts concurrency. */
class FakeMessageBus extends EventEmitter {
  inFlight = 0;
  peak = 0;
  calls = 0;
  async call(msg: { member: string }): Promise<{ body: unknown[] }> {
    this.calls++;
    this.inFlight++;
    this.peak = Math.max(this.peak, this.inFlight);
    await new Promise((r) => setTimeout(r, 1));
    this.inFlight--;
    if (msg.member === 'Fail') {
      throw new DbusError('org.bluez.Error.Failed', 'Operation failed with ATT error: 0x81');
    }
    return { body: [msg.member] };
  }
  close(): void {}
}

function open(fake: FakeMessageBus): BluezBus {
  return new BluezBus(fake as unknown as ConstructorParameters<typeof BluezBus>[0]);
}

test('pipelined calls stay under the bus limit of 128 pending replies, in order', async () => {
  const fake = new FakeMessageBus();
  const bus = open(fake);
  const results = await Promise.all(
    Array.from({ length: 500 }, (_, i) => bus.call('/p', 'org.bluez.Test1', `M${i}`)),
  );
  assert.equal(fake.calls, 500);
  assert.ok(fake.peak <= MAX_PENDING_CALLS, `peak ${fake.peak}`);
  assert.ok(MAX_PENDING_CALLS < 128);
  assert.equal(fake.peak, MAX_PENDING_CALLS, 'the window is used fully');
  assert.deepEqual(
    results.map((r) => r[0]),
    Array.from({ length: 500 }, (_, i) => `M${i}`),
  );
  assert.equal(bus.inFlight, 0);
});

test('errors are mapped and free their slot', async () => {
  const fake = new FakeMessageBus();
  const bus = open(fake);
  await assert.rejects(bus.call('/p', 'org.bluez.Test1', 'Fail', '', [], 'gatt'), (e: unknown) => {
    return e instanceof AttError && e.attCode === 0x81;
  });
  assert.equal(bus.inFlight, 0);
});

/** Delivers a PropertiesChanged signal from `path` as the client would. */
function propertiesChanged(
  fake: FakeMessageBus,
  path: string,
  iface: string,
  changed: Record<string, unknown>,
): void {
  fake.emit('message', {
    type: 4,
    path,
    interface: 'org.freedesktop.DBus.Properties',
    member: 'PropertiesChanged',
    body: [iface, changed, []],
  });
}

test('signals are routed by path to property handlers', () => {
  const fake = new FakeMessageBus();
  const bus = open(fake);
  const got: unknown[] = [];
  const off = bus.onProperties('/a', (iface, changed) => got.push([iface, changed.Value]));
  const signal = (path: string) =>
    propertiesChanged(fake, path, 'org.bluez.GattCharacteristic1', {
      Value: new Variant('ay', Buffer.from([1])),
    });
  signal('/a');
  signal('/b');
  off();
  signal('/a');
  assert.deepEqual(got, [['org.bluez.GattCharacteristic1', Buffer.from([1])]]);
});

test('PropertiesChanged under a prefix reach subtree watchers, before path handlers', () => {
  const fake = new FakeMessageBus();
  const bus = open(fake);
  const dev = '/org/bluez/hci0/dev_00_AA_01_01_00_01';
  const got: string[] = [];
  const off = bus.onPropertiesUnder('/org/bluez/hci0', (path, iface, changed) =>
    got.push(`tree ${path} ${iface} ${String(changed.Connected)}`),
  );
  bus.onProperties(dev, () => got.push('path'));
  const signal = (path: string) =>
    propertiesChanged(fake, path, 'org.bluez.Device1', { Connected: new Variant('b', true) });
  signal(dev);
  signal('/org/bluez/hci0');
  signal('/org/bluez/hci01/dev_x');
  signal('/org/bluez/hci1/dev_x');
  off();
  signal(dev);
  assert.deepEqual(got, [
    `tree ${dev} org.bluez.Device1 true`,
    'path',
    'tree /org/bluez/hci0 org.bluez.Device1 true',
    'path',
  ]);
});

test('watch subscribes to a namespace; unwatch drops exactly those rules', async () => {
  const sent: string[] = [];
  class Recording extends FakeMessageBus {
    override async call(msg: { member: string; body?: unknown[] }) {
      sent.push(`${msg.member} ${String(msg.body?.[0])}`);
      return { body: [] };
    }
  }
  const bus = open(new Recording());
  await bus.watch('/org/bluez');
  await bus.watch('/org/bluez/hci0');
  await bus.unwatch('/org/bluez');
  await bus.close();
  const added = sent.filter((s) => s.startsWith('AddMatch ')).map((s) => s.slice(9));
  const removed = sent.filter((s) => s.startsWith('RemoveMatch ')).map((s) => s.slice(12));
  assert.equal(added.length, 4);
  assert.match(added[0]!, /member='PropertiesChanged',path_namespace='\/org\/bluez'$/);
  assert.match(added[3]!, /ObjectManager',path='\/',arg0path='\/org\/bluez\/hci0\/'$/);
  assert.deepEqual(removed, added, 'the wide rules on unwatch, the rest on close, each once');
});

test("bluetoothd leaving and returning reaches owner handlers (and only org.bluez's)", async () => {
  const sent: string[] = [];
  class Recording extends FakeMessageBus {
    override async call(msg: { member: string; body?: unknown[] }) {
      sent.push(`${msg.member} ${String(msg.body?.[0])}`);
      return { body: [] };
    }
  }
  const fake = new Recording();
  const bus = open(fake);
  await bus.watchOwner();
  assert.match(sent[0]!, /^AddMatch .*member='NameOwnerChanged',arg0='org\.bluez'$/);
  const seen: boolean[] = [];
  bus.onOwnerChanged((running) => seen.push(running));
  const owner = (name: string, from: string, to: string) =>
    fake.emit('message', {
      type: 4,
      path: '/org/freedesktop/DBus',
      interface: 'org.freedesktop.DBus',
      member: 'NameOwnerChanged',
      body: [name, from, to],
    });
  owner('org.bluez', ':1.4', '');
  owner('org.example', '', ':1.9');
  owner('org.bluez', '', ':1.12');
  assert.deepEqual(seen, [false, true]);
  await bus.close();
  assert.ok(
    sent.some((s) => /^RemoveMatch .*NameOwnerChanged/.test(s)),
    'rule dropped on close',
  );
});
