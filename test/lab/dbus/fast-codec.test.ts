// blekit's codec under dbus-next, between two real connections on a private dbus-daemon
// (in the lab, where dbus-daemon is always installed; the host may not have it yet).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { after, before, test } from 'node:test';
import dbus, { type MessageBus } from 'dbus-next';
import { PacketSocket, seqpacketPair } from '../../../src/native/seqpacket.js';
import { prepareBus } from '../../../src/dbus/system-bus.js';

const { Message, MessageType, Variant } = dbus;
const PATH = '/org/blekit/Test';
const IFACE = 'org.blekit.Test';

let daemon: ChildProcess;
let service: MessageBus;
let client: MessageBus;
const serviceSockets: PacketSocket[] = [];

async function connect(address: string): Promise<MessageBus> {
  const bus = prepareBus(
    dbus.sessionBus({ busAddress: address, negotiateUnixFd: true } as dbus.SessionBusOptions),
  );
  await Promise.race([
    once(bus, 'connect'),
    new Promise((_, reject) => setTimeout(() => reject(new Error('no Hello reply in 5 s')), 5000)),
  ]);
  return bus;
}

before(async () => {
  // The lab needs dbus-daemon on this machine anyway; a missing one fails here, loudly.
  daemon = spawn('dbus-daemon', ['--session', '--nofork', '--print-address=1'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [line] = (await Promise.race([
    once(daemon.stdout!, 'data'),
    once(daemon, 'error').then(([e]) => Promise.reject(e as Error)),
  ])) as [Buffer];
  const address = line.toString().trim();
  service = await connect(address);
  client = await connect(address);
  service.addMethodHandler((msg: InstanceType<typeof Message>) => {
    if (msg.interface !== IFACE) return false;
    if (msg.member === 'Echo') {
      service.send(Message.newMethodReturn(msg, msg.signature, msg.body));
    } else if (msg.member === 'Fail') {
      service.send(Message.newError(msg as never, 'org.blekit.Error.Nope', 'refused on purpose'));
    } else if (msg.member === 'Socket') {
      const [mine, theirs] = seqpacketPair();
      const sock = new PacketSocket(mine);
      serviceSockets.push(sock);
      sock.on('packets', (bufs) => {
        for (const b of bufs) void sock.write(Buffer.concat([Buffer.from('echo:'), b]));
      });
      service.send(Message.newMethodReturn(msg, 'hq', [theirs, 23]));
    } else if (msg.member === 'Shout') {
      service.send(Message.newSignal(PATH, IFACE, 'Shouted', 'sa{sv}', msg.body));
      service.send(Message.newMethodReturn(msg, '', []));
    } else return false;
    return true;
  });
});

after(() => {
  for (const s of serviceSockets) s.close();
  client?.disconnect();
  service?.disconnect();
  daemon?.stdout?.destroy();
  daemon?.kill();
});

function busName(bus: MessageBus): string {
  return (bus as unknown as { name: string }).name;
}

function call(member: string, signature = '', body: unknown[] = []) {
  return client.call(
    new Message({
      destination: busName(service),
      path: PATH,
      interface: IFACE,
      member,
      signature,
      body,
    }),
  );
}

test('a method call and its reply carry every shape BlueZ uses, both ways', async () => {
  const body = [
    Buffer.from([1, 2, 3]),
    {
      type: new Variant('s', 'request'),
      offset: new Variant('q', 5),
      ManufacturerData: new Variant('a{qv}', { 65535: new Variant('ay', Buffer.from([9])) }),
      big: new Variant('t', 2n ** 63n),
    },
    '/org/bluez/hci0/dev_00_AA_01_01_00_01',
    [
      ['a', 1],
      ['b', -2],
    ],
  ];
  const reply = await call('Echo', 'aya{sv}oa(si)', body);
  assert.equal(reply?.type, MessageType.METHOD_RETURN);
  assert.deepStrictEqual(reply?.body, [
    body[0],
    {
      type: new Variant('s', 'request'),
      offset: new Variant('q', 5),
      ManufacturerData: new Variant('a{qv}', { '65535': new Variant('ay', Buffer.from([9])) }),
      big: new Variant('t', 2n ** 63n),
    },
    body[2],
    body[3],
  ]);
});

test('an error reply rejects the call with its D-Bus name', async () => {
  await assert.rejects(call('Fail'), (e: unknown) => {
    assert.equal((e as { type?: string }).type, 'org.blekit.Error.Nope');
    return true;
  });
});

test('a bad message fails its caller at once, with a typed error, and the bus still works', async () => {
  await assert.rejects(call('Echo', 'y', [300]), { name: 'InvalidArgumentError' });
  assert.deepEqual((await call('Echo', 's', ['still here']))?.body, ['still here']);
});

test('signals arrive decoded', async () => {
  await client.call(
    new Message({
      destination: 'org.freedesktop.DBus',
      path: '/org/freedesktop/DBus',
      interface: 'org.freedesktop.DBus',
      member: 'AddMatch',
      signature: 's',
      body: [`type='signal',interface='${IFACE}'`],
    }),
  );
  const got = new Promise<unknown[]>((resolve) => {
    client.on('message', (m) => {
      if (m.type === MessageType.SIGNAL && m.member === 'Shouted') resolve(m.body);
    });
  });
  await call('Shout', 'sa{sv}', ['hi', { n: new Variant('i', -7) }]);
  assert.deepStrictEqual(await got, ['hi', { n: new Variant('i', -7) }]);
});

test('a unix fd passes in a reply (the AcquireNotify/AcquireWrite path) and works', async () => {
  const reply = await call('Socket');
  const [fd, mtu] = reply?.body as [number, number];
  assert.equal(mtu, 23);
  assert.equal(typeof fd, 'number');
  const sock = new PacketSocket(fd);
  const echoed = once(sock, 'packets');
  await sock.write(Buffer.from('ping'));
  const [bufs] = (await echoed) as [Buffer[]];
  assert.equal(bufs[0]!.toString(), 'echo:ping');
  sock.close();
});

test('doubles dbus-next could not send (-0, infinities) make the round trip', async () => {
  const reply = await call('Echo', 'ad', [[-0, Infinity, -Infinity]]);
  const [values] = reply?.body as [number[]];
  assert.ok(Object.is(values[0], -0));
  assert.deepEqual(values.slice(1), [Infinity, -Infinity]);
});

test('many overlapping calls each get their own reply', async () => {
  const replies = await Promise.all(Array.from({ length: 50 }, (_, i) => call('Echo', 'u', [i])));
  assert.deepEqual(
    replies.map((r) => r?.body[0]),
    Array.from({ length: 50 }, (_, i) => i),
  );
});
