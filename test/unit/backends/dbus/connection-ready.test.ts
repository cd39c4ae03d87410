// DbusConnection.ready(): the wait for Connected + ServicesResolved, against a scripted bus.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TimeoutError } from '../../../../src/core/errors.js';
import type { BluezBus, PropsChangedHandler } from '../../../../src/bluez/session.js';
import { DbusConnection } from '../../../../src/backends/dbus/connection.js';
import type { ObjectMirror } from '../../../../src/bluez/object-mirror.js';
import type { Props } from '../../../../src/bluez/names.js';

const PATH = '/org/bluez/hci0/dev_00_AA_01_01_00_01';

/** A bus whose device state is `state`; signals only go out through `signal()`. */
function scriptedBus(state: Props) {
  const handlers = new Set<PropsChangedHandler>();
  let getAlls = 0;
  const bus = {
    onProperties: (_p: string, h: PropsChangedHandler) => {
      handlers.add(h);
      return () => handlers.delete(h);
    },
    onInterfaces: () => () => undefined,
    getAll: async () => {
      getAlls++;
      return { ...state };
    },
  };
  return {
    bus: bus as unknown as BluezBus,
    signal: (changed: Props) => {
      Object.assign(state, changed);
      for (const h of handlers) h('org.bluez.Device1', changed, []);
    },
    get getAlls() {
      return getAlls;
    },
  };
}

function connection(bus: BluezBus, props: Props): DbusConnection {
  const events = { onDisconnect: () => undefined, onServicesChanged: () => undefined };
  return new DbusConnection(
    bus,
    {} as ObjectMirror,
    PATH,
    '00:AA:01:01:00:01',
    props,
    events as never,
    {},
    () => undefined,
  );
}

test('ready() resolves on the ServicesResolved signal without asking bluetoothd', async () => {
  const s = scriptedBus({ Connected: false, ServicesResolved: false });
  const c = connection(s.bus, { Connected: false, ServicesResolved: false });
  const ready = c.ready(5_000);
  setTimeout(() => s.signal({ Connected: true, ServicesResolved: true }), 50);
  await ready;
  assert.equal(s.getAlls, 0);
});

test('a resolved link whose signal never comes is found by asking, within about a second', async () => {
  const state = { Connected: true, ServicesResolved: false };
  const s = scriptedBus(state);
  const c = connection(s.bus, { ...state });
  // bluetoothd resolves the link but says nothing (seen with "Device ... is already connected").
  setTimeout(() => (state.ServicesResolved = true), 100);
  const t = Date.now();
  await c.ready(20_000);
  assert.ok(Date.now() - t < 3_000, `took ${Date.now() - t} ms`);
  assert.ok(s.getAlls >= 1);
});

test('a link that never resolves times out with TimeoutError at the limit', async () => {
  const s = scriptedBus({ Connected: true, ServicesResolved: false });
  const c = connection(s.bus, { Connected: true, ServicesResolved: false });
  await assert.rejects(c.ready(1_500), TimeoutError);
});

test('ServicesResolved without a Connected=true signal still ends the wait at once', async () => {
  // The soak's trace: after "Device ... is already connected" bluetoothd sent only
  // ServicesResolved=true, and ready() sat out its poll waiting for Connected.
  const s = scriptedBus({ Connected: false, ServicesResolved: false });
  const c = connection(s.bus, { Connected: false, ServicesResolved: false });
  const ready = c.ready(5_000);
  setTimeout(() => s.signal({ ServicesResolved: true }), 50);
  await ready;
  assert.equal(s.getAlls, 0, 'no GetAll: the signal alone was enough');
  assert.equal(c.connected, true);
});
