// A link's GATT client sessions against a scripted bluetoothd: which calls go out, when the
// AcquireNotify/AcquireWrite sockets are used, and how each falls back to D-Bus.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BusyError, NotConnectedError } from '../../../src/core/errors.js';
import { mapDbusError } from '../../../src/bluez/errors.js';
import {
  RemoteSessions,
  type RemoteGattStats,
  type RemoteLink,
} from '../../../src/bluez/gatt-remote-sessions.js';
import type { BluezBus, PropsChangedHandler } from '../../../src/bluez/session.js';
import { DbusError } from '../../../src/dbus/client/errors.js';
import { PacketSocket, seqpacketPair } from '../../../src/native/seqpacket.js';

const CHAR = '/org/bluez/hci0/dev_00_AA_01_01_00_01/service000a/char000b';
const tick = () => new Promise((r) => setImmediate(r));

interface Call {
  path: string;
  member: string;
  body: unknown[];
}

/** Answers each method with `answers[member]` (a body or a thrown error); records every call. */
function scriptedBus(
  answers: Record<string, (call: Call) => unknown[] | Promise<unknown[]>>,
  props: () => Record<string, unknown> = () => ({}),
) {
  const calls: Call[] = [];
  const handlers = new Map<string, Set<PropsChangedHandler>>();
  const bus = {
    call: async (path: string, _iface: string, member: string, _sig = '', body: unknown[] = []) => {
      const c = { path, member, body };
      calls.push(c);
      const answer = answers[member];
      return answer ? answer(c) : [];
    },
    onProperties: (path: string, h: PropsChangedHandler) => {
      const set = handlers.get(path) ?? new Set();
      set.add(h);
      handlers.set(path, set);
      return () => set.delete(h);
    },
    getAll: async () => props(),
  };
  return {
    bus: bus as unknown as BluezBus,
    calls,
    members: () => calls.map((c) => c.member),
    listeners: (path: string) => handlers.get(path)?.size ?? 0,
    emit: (path: string, changed: Record<string, unknown>) => {
      for (const h of handlers.get(path) ?? []) h('org.bluez.GattCharacteristic1', changed, []);
    },
  };
}

function link(over: Partial<{ up: boolean; leaving: boolean }> = {}) {
  const state = { up: true, leaving: false, mtu: 23, ...over };
  const l: RemoteLink = {
    up: () => state.up,
    usable: () => state.up,
    leaving: () => state.leaving,
    mtu: () => state.mtu,
    raiseMtu: (m) => (state.mtu = Math.max(state.mtu, m)),
  };
  return { link: l, state };
}

function stats(): RemoteGattStats {
  return { acquiredNotify: 0, startNotify: 0, acquiredWrites: 0, dbusWrites: 0 };
}

const bluezError = (name: string, text = 'x') =>
  mapDbusError(new DbusError(`org.bluez.Error.${name}`, text), 'call', 'gatt');

test('writes to one characteristic go out one WriteValue at a time, with their type', async () => {
  let running = 0;
  let peak = 0;
  const s = scriptedBus({
    WriteValue: async () => {
      peak = Math.max(peak, ++running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
      return [];
    },
  });
  const st = stats();
  const sessions = new RemoteSessions(s.bus, link().link, st);
  await Promise.all([
    sessions.write(0x0b, CHAR, Buffer.from([1]), 'request', false),
    sessions.write(0x0b, CHAR, Buffer.from([2]), 'command', false),
  ]);
  assert.equal(peak, 1);
  assert.deepEqual(
    s.calls.map((c) => [
      (c.body[0] as Buffer)[0],
      (c.body[1] as { type: { value: string } }).type.value,
    ]),
    [
      [1, 'request'],
      [2, 'command'],
    ],
  );
  assert.equal(st.dbusWrites, 2);
});

test('StartNotify values reach the callback; unsubscribing stops listening and calls StopNotify', async () => {
  const s = scriptedBus({});
  const st = stats();
  const sessions = new RemoteSessions(s.bus, link().link, st);
  const got: number[] = [];
  await sessions.subscribe(0x0b, CHAR, false, (v) => got.push(v[0] as number));
  s.emit(CHAR, { Value: Buffer.from([7]) });
  s.emit(CHAR, { Notifying: true });
  assert.deepEqual(got, [7]);
  assert.equal(st.startNotify, 1);
  assert.equal(sessions.alive(0x0b, CHAR), true);
  await sessions.unsubscribe(0x0b);
  assert.deepEqual(s.members(), ['StartNotify', 'StopNotify']);
  assert.equal(s.listeners(CHAR), 0);
  assert.equal(sessions.alive(0x0b, CHAR), false);
});

test('a local disconnect ends StartNotify sessions without a StopNotify each', async () => {
  const s = scriptedBus({});
  const l = link();
  const sessions = new RemoteSessions(s.bus, l.link, stats());
  await sessions.subscribe(0x0b, CHAR, false, () => undefined);
  l.state.leaving = true;
  await sessions.close();
  assert.deepEqual(s.members(), ['StartNotify']);
  assert.equal(s.listeners(CHAR), 0);
});

test('a refused StartNotify leaves no listener behind and throws its typed error', async () => {
  const s = scriptedBus({
    StartNotify: () => {
      throw bluezError('NotPermitted', 'Notify acquired');
    },
  });
  const sessions = new RemoteSessions(s.bus, link().link, stats());
  await assert.rejects(sessions.subscribe(0x0b, CHAR, false, () => undefined));
  assert.equal(s.listeners(CHAR), 0);
  assert.equal(sessions.alive(0x0b, CHAR), false);
});

test('a refused AcquireNotify falls back to StartNotify and says why', async () => {
  const s = scriptedBus({
    AcquireNotify: () => {
      throw bluezError('NotPermitted', 'Notify acquired');
    },
  });
  const st = stats();
  const sessions = new RemoteSessions(s.bus, link().link, st);
  await sessions.subscribe(0x0b, CHAR, true, () => undefined);
  assert.deepEqual(s.members(), ['AcquireNotify', 'StartNotify']);
  assert.equal(st.acquiredNotify, 0);
  assert.equal(st.startNotify, 1);
  assert.match(st.lastFallback ?? '', /^AcquireNotify: /);
});

test('AcquireNotify on a lost link throws NotConnectedError instead of falling back', async () => {
  const s = scriptedBus({
    AcquireNotify: () => {
      throw bluezError('NotConnected');
    },
  });
  const sessions = new RemoteSessions(s.bus, link().link, stats());
  await assert.rejects(
    sessions.subscribe(0x0b, CHAR, true, () => undefined),
    NotConnectedError,
  );
  assert.deepEqual(s.members(), ['AcquireNotify']);
});

test('values on the AcquireNotify socket reach the callback in order, and its MTU is taken', async () => {
  const [ours, theirs] = seqpacketPair();
  const peer = new PacketSocket(theirs);
  const s = scriptedBus({ AcquireNotify: () => [ours, 185] });
  const l = link();
  const st = stats();
  const sessions = new RemoteSessions(s.bus, l.link, st);
  const got: number[] = [];
  const all = new Promise<void>((resolve) =>
    sessions.subscribe(0x0b, CHAR, true, (v) => {
      got.push(v[0] as number);
      if (got.length === 3) resolve();
    }),
  );
  await tick();
  for (const n of [1, 2, 3]) await peer.write(Buffer.from([n]));
  await all;
  assert.deepEqual(got, [1, 2, 3]);
  assert.equal(st.acquiredNotify, 1);
  assert.equal(l.state.mtu, 185);
  assert.equal(sessions.alive(0x0b, CHAR), true);
  // bluetoothd closing its end ends the session.
  peer.close();
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(sessions.alive(0x0b, CHAR), false);
  await sessions.close();
});

test('write commands use the AcquireWrite socket while they fit, and WriteValue beyond', async () => {
  const [ours, theirs] = seqpacketPair();
  const peer = new PacketSocket(theirs);
  const received: Buffer[] = [];
  peer.on('packets', (ps) => received.push(...ps));
  let hungUp = false;
  peer.on('close', () => (hungUp = true));
  const s = scriptedBus(
    {
      AcquireWrite: () => [ours, 30],
      WriteValue: () => {
        assert.equal(hungUp, true, 'WriteValue while the AcquireWrite fd is open');
        return [];
      },
    },
    // bluetoothd reports the fd as acquired until it has seen the hangup.
    () => ({ WriteAcquired: !hungUp }),
  );
  const st = stats();
  const sessions = new RemoteSessions(s.bus, link().link, st);
  await sessions.write(0x0b, CHAR, Buffer.from([1, 2]), 'command', true);
  await sessions.write(0x0b, CHAR, Buffer.alloc(27), 'command', true);
  await sessions.write(0x0b, CHAR, Buffer.alloc(28), 'command', true);
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(
    received.map((b) => b.length),
    [2, 27],
  );
  assert.equal(st.acquiredWrites, 2);
  assert.equal(st.dbusWrites, 1);
  assert.deepEqual(s.members(), ['AcquireWrite', 'WriteValue']);
  // The socket was given back before the WriteValue (bluetoothd refuses it while acquired).
  assert.equal(hungUp, true);
  peer.close();
  await sessions.close();
});

test('a refused AcquireWrite sends the value as WriteValue, says why, and is not asked again', async () => {
  const s = scriptedBus({
    AcquireWrite: () => {
      throw new BusyError('no');
    },
  });
  const st = stats();
  const sessions = new RemoteSessions(s.bus, link().link, st);
  await sessions.write(0x0b, CHAR, Buffer.from([1]), 'command', true);
  await sessions.write(0x0b, CHAR, Buffer.from([2]), 'command', true);
  assert.deepEqual(
    s.members().filter((m) => m === 'WriteValue'),
    ['WriteValue', 'WriteValue'],
  );
  assert.equal(s.members().filter((m) => m === 'AcquireWrite').length, 1);
  assert.equal(st.acquiredWrites, 0);
  assert.equal(st.dbusWrites, 2);
  assert.match(st.lastFallback ?? '', /^AcquireWrite: /);
});

test('a removed characteristic object, or one at a new path, ends the session', async () => {
  const s = scriptedBus({});
  const sessions = new RemoteSessions(s.bus, link().link, stats());
  await sessions.subscribe(0x0b, CHAR, false, () => undefined);
  assert.equal(sessions.alive(0x0b, CHAR + 'x'), false);
  assert.equal(sessions.alive(0x0b, CHAR), true);
  sessions.objectRemoved(CHAR);
  assert.equal(sessions.alive(0x0b, CHAR), false);
  sessions.dispose();
});
