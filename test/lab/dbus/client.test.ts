// blekit's own D-Bus client against a private dbus-daemon, with a dbus-python service as the
// peer (replies, errors, signals and fds from libdbus), and against bluetoothd on the system bus
// (in the lab, where both are always there).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, test } from 'node:test';
import { BackendError, TimeoutError, withTimeout } from '../../../src/core/index.js';
import { DbusError, DbusClient, Variant, connectBus } from '../../../src/dbus/client/index.js';
import { MessageType, type WireMessage } from '../../../src/dbus/message-codec.js';
import { PacketSocket } from '../../../src/native/seqpacket.js';
import { IFACE, startPrivateBus, type PrivateBus } from './support.js';

const PATH = '/org/blekit/Test';
const DAEMON = {
  destination: 'org.freedesktop.DBus',
  path: '/org/freedesktop/DBus',
  interface: 'org.freedesktop.DBus',
};

let bus: PrivateBus;
let client: DbusClient;
let busPath: string;

before(async () => {
  bus = await startPrivateBus();
  client = bus.client;
  busPath = bus.path;
});

after(() => bus?.close());

function serviceName(): string {
  return bus.peer;
}

function call(member: string, signature = '', body: unknown[] = [], timeoutMs = 20_000) {
  return client.call(
    { destination: serviceName(), path: PATH, interface: IFACE, member, signature, body },
    timeoutMs,
  );
}

test('Hello gives a unique name, and the daemon agreed to pass fds', () => {
  assert.match(client.uniqueName, /^:\d+\.\d+$/);
  assert.equal(client.unixFds, true);
});

test('a method call and its reply carry the shapes BlueZ uses', async () => {
  const body = [
    Buffer.from([1, 2, 3]),
    { type: new Variant('s', 'request'), offset: new Variant('q', 5) },
    '/org/bluez/hci0/dev_00_AA_01_01_00_01',
  ];
  const reply = await call('Echo', 'aya{sv}o', body);
  assert.equal(reply.type, MessageType.methodReturn);
  assert.deepStrictEqual(reply.body, body);
});

test('an error reply rejects with the D-Bus name as type and its text', async () => {
  const err = await call('Fail').catch((e: unknown) => e);
  assert.ok(err instanceof DbusError, String(err));
  assert.ok(err instanceof BackendError, 'a D-Bus error is a BleError');
  assert.equal(err.type, 'org.blekit.Error.Nope');
  assert.equal(err.text, 'refused on purpose');
});

test('signals arrive after AddMatch', async () => {
  const rule = `type='signal',interface='${IFACE}'`;
  await client.call({ ...DAEMON, member: 'AddMatch', signature: 's', body: [rule] });
  const got = new Promise<WireMessage>((resolve) => {
    const on = (m: WireMessage) => {
      if (m.type === MessageType.signal && m.member === 'Shouted') {
        client.off('message', on);
        resolve(m);
      }
    };
    client.on('message', on);
  });
  await call('Shout', 'sa{sv}', ['hi', { n: new Variant('i', -7) }]);
  const m = await withTimeout(got, 10_000, 'the signal');
  assert.equal(m.path, PATH);
  assert.deepStrictEqual(m.body, ['hi', { n: new Variant('i', -7) }]);
});

test('a unix fd passes in a reply (the AcquireNotify/AcquireWrite path) and works', async () => {
  for (let round = 0; round < 3; round++) {
    const [fd, mtu] = (await call('Socket')).body as [number, number];
    assert.equal(mtu, 23);
    assert.ok(Number.isInteger(fd) && fd > 2, `fd ${fd}`);
    const sock = new PacketSocket(fd);
    const echoed = once(sock, 'packets');
    await sock.write(Buffer.from(`ping${round}`));
    const [bufs] = (await withTimeout(echoed, 10_000, 'the echo')) as [Buffer[]];
    assert.equal(bufs[0]!.toString(), `echo:ping${round}`);
    sock.close();
  }
});

test('a method call to the client is answered with UnknownMethod', async () => {
  // The peer's prober calls us, as bluetoothd would call an application.
  const reply = await client.call({
    destination: serviceName(),
    path: '/org/blekit/Prober',
    interface: IFACE,
    member: 'ProbeCall',
    signature: 'sosssav',
    body: [client.uniqueName, '/', 'org.blekit.Nothing', 'Poke', '', []],
  });
  const seen = JSON.parse(reply.body[0] as string) as { error?: string };
  assert.equal(seen.error, 'org.freedesktop.DBus.Error.UnknownMethod');
});

test('signals are routed by match rule and path; removing the rule stops them', async () => {
  const got: WireMessage[] = [];
  const other: WireMessage[] = [];
  const remove = await client.addMatch(
    { sender: serviceName(), interface: IFACE, member: 'Shouted', path: PATH },
    (m) => got.push(m),
  );
  const offElsewhere = client.onSignal({ path: '/elsewhere' }, (m) => other.push(m));
  await call('Shout', 'sa{sv}', ['one', {}]);
  // The signal was sent before the reply: it has arrived by now.
  assert.equal(got.length, 1);
  assert.deepStrictEqual(got[0]!.body, ['one', {}]);
  assert.equal(other.length, 0);
  await remove();
  await call('Shout', 'sa{sv}', ['two', {}]);
  await call('EchoNumber', 'u', [1]);
  assert.equal(got.length, 1, 'no delivery after the remover ran');
  offElsewhere();
});

test('a call that gets no answer times out, and the connection still works', async () => {
  await assert.rejects(call('Never', '', [], 300), TimeoutError);
  assert.deepEqual((await call('EchoNumber', 'u', [7])).body, [7]);
});

test('many overlapping calls each get their own reply', async () => {
  const replies = await Promise.all(
    Array.from({ length: 100 }, (_, i) => call('EchoNumber', 'u', [i])),
  );
  assert.deepEqual(
    replies.map((r) => r.body[0]),
    Array.from({ length: 100 }, (_, i) => i),
  );
});

test('close() rejects pending calls with a BackendError and emits close', async () => {
  const other = await connectBus({ path: busPath, timeoutMs: 10_000 });
  const pending = other.call(
    { destination: serviceName(), path: PATH, interface: IFACE, member: 'Never' },
    20_000,
  );
  const closed = once(other, 'close');
  other.close();
  await assert.rejects(pending, BackendError);
  await closed;
});

test('the system bus: bluetoothd answers a Properties.Get through this client', async () => {
  const sys = await connectBus({ timeoutMs: 10_000 });
  try {
    const reply = await sys.call(
      {
        destination: 'org.bluez',
        path: '/org/bluez/hci0',
        interface: 'org.freedesktop.DBus.Properties',
        member: 'Get',
        signature: 'ss',
        body: ['org.bluez.Adapter1', 'Address'],
      },
      20_000,
    );
    assert.deepStrictEqual(reply.body, [new Variant('s', '00:AA:01:00:00:00')]);
  } finally {
    sys.close();
  }
});
