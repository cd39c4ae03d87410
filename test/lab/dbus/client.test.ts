// blekit's own D-Bus client against a private dbus-daemon, with a dbus-next service as the peer,
// and against bluetoothd on the system bus (in the lab, where both are always there).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import dbus, { type MessageBus } from 'dbus-next';
import { BackendError, TimeoutError, delay, withTimeout } from '../../../src/core/index.js';
import { DbusCallError, DbusClient, Variant, connectBus } from '../../../src/dbus/client/index.js';
import { MessageType, type WireMessage } from '../../../src/dbus/message-codec.js';
import { prepareBus } from '../../../src/dbus/system-bus.js';
import { PacketSocket, seqpacketPair } from '../../../src/native/seqpacket.js';

const { Message } = dbus;
const PATH = '/org/blekit/Test';
const DAEMON = {
  destination: 'org.freedesktop.DBus',
  path: '/org/freedesktop/DBus',
  interface: 'org.freedesktop.DBus',
};
const IFACE = 'org.blekit.Test';

/**
 * The peer: an object exported through dbus-next's service layer (as an application serving
 * BlueZ would), so replies, errors, signals and fds come from code independent of blekit's.
 */
class TestService extends dbus.interface.Interface {
  Echo(bytes: Buffer, dict: Record<string, unknown>, path: string): unknown[] {
    return [bytes, dict, path];
  }
  EchoNumber(n: number): number {
    return n;
  }
  Fail(): never {
    throw new dbus.DBusError('org.blekit.Error.Nope', 'refused on purpose');
  }
  Socket(): [number, number] {
    const [mine, theirs] = seqpacketPair();
    const sock = new PacketSocket(mine);
    serviceSockets.push(sock);
    sock.on('packets', (bufs) => {
      for (const b of bufs) void sock.write(Buffer.concat([Buffer.from('echo:'), b]));
    });
    return [theirs, 23];
  }
  Shout(word: string, dict: Record<string, unknown>): void {
    this.Shouted(word, dict);
  }
  Shouted(word: string, dict: Record<string, unknown>): unknown[] {
    return [word, dict];
  }
  /** Taken and never answered. */
  Never(): Promise<void> {
    return new Promise(() => undefined);
  }
}
TestService.configureMembers({
  methods: {
    Echo: { inSignature: 'aya{sv}o', outSignature: 'aya{sv}o' },
    EchoNumber: { inSignature: 'u', outSignature: 'u' },
    Fail: {},
    Socket: { outSignature: 'hq' },
    Shout: { inSignature: 'sa{sv}' },
    Never: {},
  },
  signals: { Shouted: { signature: 'sa{sv}' } },
});

let daemon: ChildProcess;
let dir: string | undefined;
let busPath: string;
let service: MessageBus;
let client: DbusClient;
const serviceSockets: PacketSocket[] = [];

/** Connects once the daemon listens: until then connect fails (ENOENT, ECONNREFUSED). */
async function connectWhenListening(path: string): Promise<DbusClient> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      return await connectBus({ path, timeoutMs: 10_000 });
    } catch (e) {
      if (!(e instanceof BackendError) || Date.now() > deadline) throw e;
      await delay(100);
    }
  }
}

before(async () => {
  // The daemon listens where this test says, so the first connects also meet a missing socket.
  dir = mkdtempSync(join(tmpdir(), 'blekit-bus-'));
  busPath = join(dir, 'bus');
  const address = `unix:path=${busPath}`;
  daemon = spawn('dbus-daemon', ['--session', '--nofork', `--address=${address}`], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const failed = once(daemon, 'error').then(([e]) => Promise.reject(e as Error));
  client = await Promise.race([connectWhenListening(busPath), failed]);
  service = prepareBus(
    dbus.sessionBus({ busAddress: address, negotiateUnixFd: true } as dbus.SessionBusOptions),
  );
  await withTimeout(once(service, 'connect'), 10_000, "the service's Hello");
  service.export(PATH, new TestService(IFACE));
});

after(() => {
  for (const s of serviceSockets) s.close();
  client?.close();
  service?.disconnect();
  daemon?.kill();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function serviceName(): string {
  return (service as unknown as { name: string }).name;
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
  assert.ok(err instanceof DbusCallError, String(err));
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
  const m = await Promise.race([
    got,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error('no signal in 10 s')), 10_000),
    ),
  ]);
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
    const [bufs] = (await Promise.race([
      echoed,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no echo')), 10_000)),
    ])) as [Buffer[]];
    assert.equal(bufs[0]!.toString(), `echo:ping${round}`);
    sock.close();
  }
});

test('a method call to the client is answered with UnknownMethod', async () => {
  await assert.rejects(
    service.call(
      new Message({
        destination: client.uniqueName,
        path: '/',
        interface: 'org.blekit.Nothing',
        member: 'Poke',
      }),
    ),
    (e: unknown) => (e as { type?: string }).type === 'org.freedesktop.DBus.Error.UnknownMethod',
  );
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
