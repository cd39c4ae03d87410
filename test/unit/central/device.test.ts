import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Central } from '../../../src/central/central.js';
import { InvalidArgumentError, NotConnectedError } from '../../../src/core/index.js';
import { FakeBackend } from './fake-backend.js';

const PEER = '00:AA:01:01:00:01';

async function connected(autoReconnect = false) {
  const backend = new FakeBackend();
  const central = new Central({ backend });
  await central.start();
  const device = await central.connect(PEER, {
    autoReconnect: autoReconnect ? { initialDelayMs: 1, maxDelayMs: 4 } : false,
  });
  return { backend, central, device, conn: backend.connections[0]! };
}

test('reads and writes resolve UUIDs and handles to value handles', async () => {
  const { device, conn } = await connected();
  await device.write({ service: '180d', characteristic: '2a38' }, [1, 2]);
  await device.write({ handle: 0x22 }, 'A', { withoutResponse: true });
  assert.deepEqual(await device.read({ handle: 0x15 }), Buffer.from([1, 2]));
  assert.deepEqual(conn.log, ['discover', 'write 21 0102 req', 'write 34 41 cmd', 'read 21']);
  await device.readDescriptor('2a37', '2902');
  await device.writeDescriptor('2a37', 0x2902, [1, 0]);
  assert.deepEqual(conn.log.slice(-2), ['readDesc 19', 'writeDesc 19 0100']);
});

test('writes without response stay ordered unless ordered: false opts out', async () => {
  const { device, conn } = await connected();
  await device.write('2a37', [1], { withoutResponse: true });
  await device.write('2a37', [2], { withoutResponse: true, ordered: true });
  await device.write('2a37', [3], { withoutResponse: true, ordered: false });
  // A Write Request is answered in turn: the opt-out means nothing there.
  await device.write('2a37', [4], { ordered: false });
  assert.deepEqual(conn.log.slice(1), [
    'write 18 01 cmd',
    'write 18 02 cmd',
    'write 18 03 cmd unordered',
    'write 18 04 req',
  ]);
  await assert.rejects(
    device.write('2a37', [5], { withoutResponse: true, ordered: 'no' as unknown as boolean }),
    InvalidArgumentError,
  );
});

test('write input is checked: size limits, byte values, refs', async () => {
  const { device, conn } = await connected();
  await assert.rejects(device.write('2a37', Buffer.alloc(513)), InvalidArgumentError);
  await assert.rejects(
    device.write('2a37', Buffer.alloc(21), { withoutResponse: true }),
    InvalidArgumentError,
  );
  await assert.rejects(device.write('2a37', [256]), InvalidArgumentError);
  await assert.rejects(device.read({ handle: 0x10000 }), InvalidArgumentError);
  await assert.rejects(device.exchangeMtu(600), InvalidArgumentError);
  assert.ok(!conn.log.some((l) => l.startsWith('write')));
});

test('several callbacks share one subscription; the last one removed disables it', async () => {
  const { device, conn } = await connected();
  const a: string[] = [];
  const b: string[] = [];
  const offA = await device.subscribe('2a37', (v) => a.push(v.toString()));
  await device.subscribe({ handle: 0x12 }, (v) => b.push(v.toString()));
  assert.equal(conn.log.filter((l) => l.startsWith('subscribe')).length, 1);
  conn.listeners.get(0x12)?.(Buffer.from('1'));
  await offA();
  conn.listeners.get(0x12)?.(Buffer.from('2'));
  assert.deepEqual(a, ['1']);
  assert.deepEqual(b, ['1', '2']);
  await device.unsubscribe('2a37');
  assert.ok(conn.log.includes('unsubscribe 18'));
  await assert.rejects(
    device.subscribe({ handle: 0x15 }, () => {}),
    InvalidArgumentError,
  );
});

test('disconnect callbacks fire with the reason and can be removed', async () => {
  const { device, conn } = await connected();
  const calls: string[] = [];
  const keep = (_d: unknown, r: string) => calls.push(`keep ${r}`);
  const gone = () => calls.push('removed');
  device.registerDisconnectCallback(keep);
  device.registerDisconnectCallback(gone);
  device.removeDisconnectCallback(gone);
  conn.drop('remote');
  assert.deepEqual(calls, ['keep remote']);
  assert.equal(device.connected, false);
  await assert.rejects(device.read('2a37'), NotConnectedError);
});

test('auto-reconnect reconnects and restores subscriptions at their new handles', async () => {
  const { backend, device, conn } = await connected(true);
  const got: number[] = [];
  await device.subscribe('2a37', (v) => got.push(v[0]!));
  backend.dbOffsetForNext = 0x100;
  backend.failNext.push(new Error('first attempt fails'));
  const reconnected = new Promise<void>((r) => device.once('reconnect', r));
  conn.drop('remote');
  await reconnected;
  assert.equal(backend.connectCalls, 3);
  const conn2 = backend.connections[1]!;
  assert.ok(conn2.log.includes('subscribe 274'), conn2.log.join());
  conn2.listeners.get(0x112)?.(Buffer.from([7]));
  assert.deepEqual(got, [7]);
  await device.disconnect();
  assert.equal(device.connected, false);
});

test('an explicit disconnect does not reconnect', async () => {
  const { backend, device } = await connected(true);
  await device.disconnect();
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(backend.connectCalls, 1);
});

test('after a database change a live subscription is kept; a dead or moved one is redone', async () => {
  const { device, conn } = await connected();
  const got: string[] = [];
  await device.subscribe('2a37', (v) => got.push(v.toString('hex')));
  const changed = () => new Promise<void>((r) => device.once('servicesChanged', () => r()));
  const settle = () => new Promise((r) => setTimeout(r, 20));

  // Same handles and the backend says the session still delivers: no CCCD off/on.
  conn.aliveSubscriptions.add(0x12);
  conn.log.length = 0;
  let seen = changed();
  conn.events.onServicesChanged();
  await seen;
  await settle();
  assert.deepEqual(conn.log, ['discover']);
  conn.listeners.get(0x12)?.(Buffer.from([7]));
  assert.deepEqual(got, ['07']);

  // The backend lost the session: subscribed again.
  conn.aliveSubscriptions.clear();
  conn.log.length = 0;
  seen = changed();
  conn.events.onServicesChanged();
  await seen;
  await settle();
  assert.deepEqual(conn.log, ['discover', 'subscribe 18']);

  // The characteristic moved: subscribed at its new handle even if the old one looks alive.
  conn.aliveSubscriptions.add(0x12);
  conn.db = structuredClone(conn.db).map((s) => ({
    ...s,
    startHandle: s.startHandle + 0x40,
    endHandle: s.endHandle + 0x40,
    characteristics: s.characteristics.map((c) => ({
      ...c,
      handle: c.handle + 0x40,
      valueHandle: c.valueHandle + 0x40,
      descriptors: c.descriptors.map((d) => ({ ...d, handle: d.handle + 0x40 })),
    })),
  }));
  conn.log.length = 0;
  seen = changed();
  conn.events.onServicesChanged();
  await seen;
  await settle();
  assert.deepEqual(conn.log, ['discover', `subscribe ${0x12 + 0x40}`]);
  conn.listeners.get(0x12 + 0x40)?.(Buffer.from([9]));
  assert.deepEqual(got, ['07', '09']);
});

test('hostile references and options are InvalidArgumentError, not TypeError', async () => {
  const { device } = await connected();
  for (const ref of [{ handle: 10n }, { service: Symbol('s'), characteristic: 1 }, { x: 1 }, 10n]) {
    await assert.rejects(device.read(ref as never), InvalidArgumentError, String(typeof ref));
  }
  await assert.rejects(device.pair(10n as never), InvalidArgumentError);
  await assert.rejects(device.exchangeMtu({ toString: () => '' } as never), InvalidArgumentError);
});
