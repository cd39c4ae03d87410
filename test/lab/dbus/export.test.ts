// Objects exported by blekit's D-Bus client, called by an independent client (dbus-python, as
// bluetoothd calls an application) on a private dbus-daemon: method dispatch with typed replies
// and errors, Properties, ObjectManager, Introspectable, signals, and a unix fd in a reply.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  DbusError,
  ObjectTree,
  Reply,
  Variant,
  type DbusClient,
} from '../../../src/dbus/client/index.js';
import { PacketSocket, closeFd, seqpacketPair } from '../../../src/native/seqpacket.js';
import { IFACE, startPrivateBus, type PrivateBus } from './support.js';

const APP = '/org/blekit/App';
const THING = `${APP}/thing0`;
const THING_IFACE = 'org.blekit.Thing';

let bus: PrivateBus;
let client: DbusClient;
let tree: ObjectTree;
let level = 5;
const sockets: PacketSocket[] = [];

before(async () => {
  bus = await startPrivateBus();
  client = bus.client;
  tree = new ObjectTree(client, { failedErrorName: 'org.blekit.Error.Failed' });
  tree.attach();
  tree.export(APP, { 'org.freedesktop.DBus.ObjectManager': {} });
  tree.export(THING, {
    [THING_IFACE]: {
      properties: {
        Name: { signature: 's', get: () => 'thing' },
        Level: {
          signature: 'y',
          get: () => level,
          set: (v) => {
            level = v as number;
          },
        },
        Data: { signature: 'ay', get: () => Buffer.from([1, 2]) },
      },
      methods: {
        Add: {
          inSignature: 'ii',
          outSignature: 'i',
          handler: ([a, b]) => [(a as number) + (b as number)],
        },
        Later: {
          inSignature: 's',
          outSignature: 's',
          handler: async ([s]) => {
            await new Promise((r) => setTimeout(r, 20));
            return [`later:${String(s)}`];
          },
        },
        Boom: {
          inSignature: '',
          outSignature: '',
          handler: () => {
            throw new DbusError('org.blekit.Error.Boom', 'no');
          },
        },
        Crash: {
          inSignature: '',
          outSignature: '',
          handler: () => {
            throw new Error('a bug');
          },
        },
        Unmarshalable: { inSignature: '', outSignature: 'y', handler: () => [300] },
      },
    },
    [IFACE]: {
      methods: {
        Acquire: {
          inSignature: '',
          outSignature: 'hq',
          handler: () => {
            const [ours, theirs] = seqpacketPair();
            const sock = new PacketSocket(ours);
            sockets.push(sock);
            sock.on('packets', (bufs) => {
              for (const b of bufs) void sock.write(Buffer.concat([Buffer.from('pong:'), b]));
            });
            // Our copy of the fd may go once the reply has been written.
            return new Reply([theirs, 23], () => closeFd(theirs));
          },
        },
      },
    },
  });
});

after(() => {
  for (const s of sockets) s.close();
  bus?.close();
});

async function probe(member: string, signature = '', body: unknown[] = []): Promise<unknown> {
  const reply = await client.call(
    {
      destination: bus.peer,
      path: '/org/blekit/Prober',
      interface: IFACE,
      member,
      signature,
      body,
    },
    20_000,
  );
  return JSON.parse(reply.body[0] as string);
}

function probeCall(path: string, iface: string, member: string, sig = '', args: Variant[] = []) {
  return probe('ProbeCall', 'sosssav', [
    client.uniqueName,
    path,
    iface,
    member,
    sig,
    args,
  ]) as Promise<{
    ok?: unknown;
    error?: string;
    text?: string;
  }>;
}

test('Introspect lists interfaces, methods, properties and child nodes', async () => {
  const app = await probeCall(APP, 'org.freedesktop.DBus.Introspectable', 'Introspect');
  assert.match(String(app.ok), /<node name="thing0"\/>/);
  const thing = await probeCall(THING, 'org.freedesktop.DBus.Introspectable', 'Introspect');
  assert.match(String(thing.ok), /<interface name="org.blekit.Thing">/);
  assert.match(String(thing.ok), /<method name="Add">\s*<arg type="i" direction="in"\/>/);
  assert.match(String(thing.ok), /<property name="Level" type="y" access="readwrite"\/>/);
});

test('GetManagedObjects gives every object under the manager with its properties', async () => {
  const r = await probeCall(APP, 'org.freedesktop.DBus.ObjectManager', 'GetManagedObjects');
  assert.deepEqual(r.ok, {
    [THING]: {
      [THING_IFACE]: { Name: 'thing', Level: level, Data: [1, 2] },
      [IFACE]: {},
    },
  });
});

test('Properties Get, GetAll and Set, with typed errors for read-only and wrong types', async () => {
  const props = 'org.freedesktop.DBus.Properties';
  const all = await probeCall(THING, props, 'GetAll', 's', [new Variant('s', THING_IFACE)]);
  assert.deepEqual(all.ok, { Name: 'thing', Level: level, Data: [1, 2] });
  const name = await probeCall(THING, props, 'Get', 'ss', [
    new Variant('s', THING_IFACE),
    new Variant('s', 'Name'),
  ]);
  assert.deepEqual(name, { ok: 'thing' });
  const missing = await probeCall(THING, props, 'Get', 'ss', [
    new Variant('s', THING_IFACE),
    new Variant('s', 'Nope'),
  ]);
  assert.equal(missing.error, 'org.freedesktop.DBus.Error.InvalidArgs');
  const set = (name: string, v: Variant) =>
    probe('ProbeSet', 'sossv', [client.uniqueName, THING, THING_IFACE, name, v]) as Promise<{
      ok?: null;
      error?: string;
    }>;
  assert.deepEqual(await set('Level', new Variant('y', 42)), { ok: null });
  assert.equal(level, 42);
  const readOnly = await set('Name', new Variant('s', 'x'));
  assert.equal(readOnly.error, 'org.freedesktop.DBus.Error.PropertyReadOnly');
  const wrongType = await set('Level', new Variant('s', 'high'));
  assert.equal(wrongType.error, 'org.freedesktop.DBus.Error.InvalidArgs');
  assert.equal(level, 42);
});

test('methods answer with typed replies, their D-Bus errors, or InvalidArgs/UnknownMethod', async () => {
  const add = await probeCall(THING, THING_IFACE, 'Add', 'ii', [
    new Variant('i', 2),
    new Variant('i', -5),
  ]);
  assert.deepEqual(add, { ok: -3 });
  const mismatch = await probeCall(THING, THING_IFACE, 'Add', 'u', [new Variant('u', 1)]);
  assert.equal(mismatch.error, 'org.freedesktop.DBus.Error.InvalidArgs');
  const later = await probeCall(THING, THING_IFACE, 'Later', 's', [new Variant('s', 'x')]);
  assert.deepEqual(later, { ok: 'later:x' });
  assert.deepEqual(await probeCall(THING, THING_IFACE, 'Boom'), {
    error: 'org.blekit.Error.Boom',
    text: 'no',
  });
  const crash = await probeCall(THING, THING_IFACE, 'Crash');
  assert.equal(crash.error, 'org.blekit.Error.Failed');
  assert.equal(crash.text, 'a bug');
  const bad = await probeCall(THING, THING_IFACE, 'Unmarshalable');
  assert.equal(
    bad.error,
    'org.blekit.Error.Failed',
    'a reply that cannot be encoded fails its call',
  );
  const unknown = await probeCall(THING, THING_IFACE, 'Nope');
  assert.equal(unknown.error, 'org.freedesktop.DBus.Error.UnknownMethod');
  const noObject = await probeCall('/org/blekit/None', THING_IFACE, 'Boom');
  assert.equal(noObject.error, 'org.freedesktop.DBus.Error.UnknownMethod');
});

test('a reply passes a unix fd (SCM_RIGHTS) that works on the other side', async () => {
  for (let round = 0; round < 3; round++) {
    assert.deepEqual(await probe('ProbeFd', 'so', [client.uniqueName, THING]), {
      mtu: 23,
      answer: 'pong:ping',
    });
  }
});

test('PropertiesChanged and InterfacesAdded/Removed reach a watching client', async () => {
  await probe('Signals');
  tree.emitPropertiesChanged(THING, THING_IFACE, { Level: 7 });
  const extra = `${APP}/thing1`;
  tree.export(
    extra,
    { [THING_IFACE]: { properties: { Name: { signature: 's', get: () => 'b' } } } },
    {
      announce: true,
    },
  );
  tree.unexport(extra, { announce: true });
  const seen = (await probe('Signals')) as { path: string; member: string; args: unknown[] }[];
  assert.deepEqual(seen, [
    { path: THING, member: 'PropertiesChanged', args: [THING_IFACE, { Level: 7 }, []] },
    { path: APP, member: 'InterfacesAdded', args: [extra, { [THING_IFACE]: { Name: 'b' } }] },
    { path: APP, member: 'InterfacesRemoved', args: [extra, [THING_IFACE]] },
  ]);
});
