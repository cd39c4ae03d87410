import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { mapDbusError } from '../../../../src/bluez/errors.js';
import {
  AttError,
  BackendError,
  DecodeError,
  InvalidArgumentError,
  NotSupportedError,
  TimeoutError,
} from '../../../../src/core/errors.js';
import {
  DbusClient,
  setFdCloser,
  type ByteStream,
} from '../../../../src/dbus/client/connection.js';
import { DbusError } from '../../../../src/dbus/client/errors.js';
import { MessageFramer } from '../../../../src/dbus/client/framing.js';
import { Variant } from '../../../../src/dbus/client/variant.js';
import { referencedFds } from '../../../../src/dbus/client/fds.js';
import {
  MessageType,
  encodeMessage,
  type OutgoingMessage,
  type WireMessage,
} from '../../../../src/dbus/message-codec.js';

const GUID = '0123456789abcdef0123456789abcdef';
const closedFds: number[] = [];
setFdCloser((fd) => closedFds.push(fd));

/** An in-memory stream with a scripted bus daemon on the other end. */
class FakeBus extends EventEmitter implements ByteStream {
  isClosed = false;
  written = Buffer.alloc(0);
  /** Messages the client sent, once past the handshake. */
  readonly received: WireMessage[] = [];
  private readonly framer = new MessageFramer();
  private authed = false;
  private serial = 100;

  constructor(
    private readonly script: {
      auth?: (line: string) => string | undefined;
      onCall?: (m: WireMessage, bus: FakeBus) => void;
    } = {},
  ) {
    super();
  }

  /** Fds the client passed with its writes, in order. */
  readonly sentFds: number[] = [];

  write(buf: Uint8Array, fds: readonly number[] = []): void {
    if (this.isClosed) throw new Error('closed');
    this.sentFds.push(...fds);
    let data = Buffer.concat([this.written, buf]);
    if (!this.authed) {
      for (;;) {
        const end = data.indexOf('\r\n');
        if (end < 0) break;
        const line = data.subarray(0, end).toString('latin1').replace(/^\0/, '');
        data = data.subarray(end + 2);
        if (line === 'BEGIN') {
          this.authed = true;
          break;
        }
        const answer = this.script.auth ? this.script.auth(line) : defaultAuth(line);
        if (answer !== undefined) queueMicrotask(() => this.deliver(Buffer.from(answer + '\r\n')));
      }
      this.written = data;
      if (!this.authed) return;
    }
    this.written = Buffer.alloc(0);
    for (const { message } of this.framer.push(data, fds)) {
      this.received.push(message);
      if (message.member === 'Hello') this.reply(message, 's', [':1.42']);
      else if (message.type === MessageType.methodCall) this.script.onCall?.(message, this);
    }
  }

  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.emit('close');
  }

  deliver(data: Buffer, fds: number[] = []): void {
    if (!this.isClosed) this.emit('data', data, fds);
  }

  send(m: Omit<OutgoingMessage, 'serial'>, fds: number[] = []): void {
    const { data } = encodeMessage({ ...m, serial: ++this.serial });
    queueMicrotask(() => this.deliver(data, fds));
  }

  reply(to: WireMessage, signature: string, body: unknown[], fds: number[] = []): void {
    this.send({ type: MessageType.methodReturn, replySerial: to.serial, signature, body }, fds);
  }
}

function defaultAuth(line: string): string | undefined {
  if (line.startsWith('AUTH EXTERNAL ')) return `OK ${GUID}`;
  if (line === 'NEGOTIATE_UNIX_FD') return 'AGREE_UNIX_FD';
  return 'ERROR';
}

async function open(script?: ConstructorParameters<typeof FakeBus>[0]) {
  const bus = new FakeBus(script);
  const client = new DbusClient(bus);
  await client.handshake(1000, 2000);
  return { bus, client };
}

const call = { destination: 'org.bluez', path: '/org/bluez/hci0', interface: 'org.x', member: 'M' };

test('the handshake authenticates, negotiates fds and learns the unique name', async () => {
  const { bus, client } = await open();
  assert.equal(client.uniqueName, ':1.42');
  assert.equal(client.unixFds, true);
  assert.equal(client.guid, GUID);
  assert.equal(bus.received[0]?.member, 'Hello');
  client.close();
});

test('a server without fd passing still connects', async () => {
  const { client } = await open({
    auth: (l) => (l === 'NEGOTIATE_UNIX_FD' ? 'ERROR "no"' : `OK ${GUID}`),
  });
  assert.equal(client.unixFds, false);
  client.close();
});

test('a rejected handshake is a BackendError and closes the stream', async () => {
  const bus = new FakeBus({ auth: () => 'REJECTED DBUS_COOKIE_SHA1' });
  const client = new DbusClient(bus);
  await assert.rejects(client.handshake(1000, 2000), BackendError);
  assert.equal(bus.isClosed, true);
});

test('a silent server times the handshake out', async () => {
  const bus = new FakeBus({ auth: () => undefined });
  const client = new DbusClient(bus);
  await assert.rejects(client.handshake(1000, 50), TimeoutError);
  assert.equal(bus.isClosed, true);
});

test('a call resolves to its reply, matched by serial even out of order', async () => {
  const held: WireMessage[] = [];
  const { client } = await open({
    onCall: (m, bus) => {
      held.push(m);
      if (held.length === 2) for (const h of held.reverse()) bus.reply(h, 's', [h.member]);
    },
  });
  const [a, b] = await Promise.all([
    client.call({ ...call, member: 'A' }),
    client.call({ ...call, member: 'B' }),
  ]);
  assert.deepEqual([a.body, b.body], [['A'], ['B']]);
  client.close();
});

test('an error reply rejects with its D-Bus name and text, which mapDbusError maps', async () => {
  const { client } = await open({
    onCall: (m, bus) =>
      bus.send({
        type: MessageType.error,
        replySerial: m.serial,
        errorName: 'org.bluez.Error.Failed',
        signature: 's',
        body: ['Operation failed with ATT error: 0x81'],
      }),
  });
  const err = await client.call(call).catch((e: unknown) => e);
  assert.ok(err instanceof DbusError);
  assert.equal(err.type, 'org.bluez.Error.Failed');
  assert.equal(err.text, 'Operation failed with ATT error: 0x81');
  const mapped = mapDbusError(err, 'ReadValue', 'gatt');
  assert.ok(mapped instanceof AttError && mapped.attCode === 0x81);
  client.close();
});

test('a timeout rejects, forgets the serial, and a late reply is dropped with its fds', async () => {
  let late: WireMessage | undefined;
  const { bus, client } = await open({ onCall: (m) => (late = m) });
  await assert.rejects(client.call(call, 30), TimeoutError);
  closedFds.length = 0;
  bus.reply(late!, 'h', [0], [77]);
  await new Promise((r) => setTimeout(r, 5));
  assert.deepEqual(closedFds, [77]);
  assert.equal(client.isClosed, false);
  client.close();
});

test('Infinity waits without a timer until the reply or close; bad times are refused', async () => {
  let held: WireMessage | undefined;
  const { bus, client } = await open({ onCall: (m) => (held = m) });
  const waiting = client.call(call, Infinity);
  await new Promise((r) => setTimeout(r, 20));
  bus.reply(held!, 's', ['late but fine']);
  assert.deepEqual((await waiting).body, ['late but fine']);
  const forever = client.call(call, Infinity);
  for (const bad of [-1, NaN, 2 ** 31]) {
    await assert.rejects(client.call(call, bad), InvalidArgumentError);
  }
  client.close();
  await assert.rejects(forever, BackendError);
});

test('a reply keeps its fds for the caller', async () => {
  closedFds.length = 0;
  const { client } = await open({ onCall: (m, bus) => bus.reply(m, 'hq', [0, 23], [55]) });
  const reply = await client.call(call);
  assert.deepEqual(reply.body, [55, 23]);
  assert.deepEqual(closedFds, []);
  client.close();
});

test('fds a reply carries but does not name are closed; named ones are kept', async () => {
  closedFds.length = 0;
  const { client } = await open({
    onCall: (m, bus) => {
      // Two fds announced, the body names the first one twice.
      const { data } = encodeMessage({
        type: MessageType.methodReturn,
        serial: 900,
        replySerial: m.serial,
        signature: 'hh',
        body: [7, 8],
      });
      data.writeUInt32LE(0, data.length - 4);
      queueMicrotask(() => bus.deliver(data, [60, 61]));
    },
  });
  const reply = await client.call(call);
  assert.deepEqual(reply.body, [60, 60]);
  assert.deepEqual(closedFds, [61]);
  client.close();
});

test('referenced fds are found inside variants, structs, arrays and dicts', () => {
  const body = [{ a: new Variant('h', 3), b: new Variant('(hs)', [4, 'x']) }, [5, 6], 9];
  assert.deepEqual([...referencedFds('a{sv}ahu', body)].sort(), [3, 4, 5, 6]);
  assert.deepEqual([...referencedFds('su', ['x', 1])], []);
});

test('close() rejects pending calls with a BackendError and emits close', async () => {
  const { client } = await open();
  const pending = client.call(call);
  let closed = 0;
  client.on('close', () => closed++);
  client.close();
  client.close();
  await assert.rejects(pending, BackendError);
  assert.equal(closed, 1);
  await assert.rejects(client.call(call), BackendError, 'calls after close fail at once');
});

test('a lost socket rejects pending calls', async () => {
  const { bus, client } = await open();
  const pending = client.call(call);
  bus.close();
  await assert.rejects(pending, /connection lost/);
  assert.equal(client.isClosed, true);
});

test('signals come out as messages', async () => {
  const { bus, client } = await open();
  const got = new Promise<WireMessage>((r) => client.once('message', r));
  bus.send({
    type: MessageType.signal,
    path: '/org/bluez/hci0',
    interface: 'org.freedesktop.DBus.Properties',
    member: 'PropertiesChanged',
    signature: 'sa{sv}as',
    body: ['org.bluez.Adapter1', {}, ['Powered']],
  });
  const m = await got;
  assert.equal(m.member, 'PropertiesChanged');
  assert.deepEqual(m.body, ['org.bluez.Adapter1', {}, ['Powered']]);
  client.close();
});

test('method calls to us get UnknownMethod, unless no reply is expected', async () => {
  const { bus, client } = await open();
  const base = {
    type: MessageType.methodCall,
    path: '/',
    interface: 'org.x',
    member: 'Poke',
    sender: ':1.9',
  };
  bus.send({ ...base, flags: 1 });
  bus.send(base);
  await new Promise((r) => setTimeout(r, 5));
  const errors = bus.received.filter((m) => m.type === MessageType.error);
  assert.equal(errors.length, 1);
  assert.equal(errors[0]?.errorName, 'org.freedesktop.DBus.Error.UnknownMethod');
  assert.equal(errors[0]?.destination, ':1.9');
  assert.equal(errors[0]?.replySerial, 103, 'the second call (the Hello reply was 101)');
  client.close();
});

test('a malformed message is a DecodeError event and closes the connection', async () => {
  const { bus, client } = await open();
  const pending = client.call(call);
  const error = new Promise<Error>((r) => client.once('error', r));
  bus.deliver(Buffer.alloc(32, 0x41));
  assert.ok((await error) instanceof DecodeError);
  await assert.rejects(pending, BackendError);
  assert.equal(bus.isClosed, true);
});

test('fds go out with their message when the bus agreed to pass them', async () => {
  const { bus, client } = await open();
  client.send({ ...call, flags: 1, signature: 'hsh', body: [7, 'x', 9] });
  assert.deepEqual(bus.sentFds, [7, 9]);
  assert.deepEqual(bus.received.at(-1)?.body, [7, 'x', 9]);
  client.close();
});

test('a message that needs fds cannot be sent when the bus refused fd passing', async () => {
  const { bus, client } = await open({
    auth: (line) => (line === 'NEGOTIATE_UNIX_FD' ? 'ERROR' : defaultAuth(line)),
  });
  assert.equal(client.unixFds, false);
  await assert.rejects(client.call({ ...call, signature: 'h', body: [3] }), NotSupportedError);
  assert.deepEqual(bus.sentFds, []);
  client.close();
});

test('serials wrap from 2^32-1 to 1', async () => {
  const { bus, client } = await open();
  (client as unknown as { serial: number }).serial = 0xfffffffe;
  client.send({ ...call, flags: 1 });
  client.send({ ...call, flags: 1 });
  assert.deepEqual(
    bus.received.slice(-2).map((m) => m.serial),
    [0xffffffff, 1],
  );
  client.close();
});
