import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { DecodeError } from '../../../../src/core/errors.js';
import { MessageFramer, unixFdCount } from '../../../../src/dbus/client/framing.js';
import { Variant } from '../../../../src/dbus/client/variant.js';
import {
  MessageType,
  decodeMessage,
  encodeMessage,
  type OutgoingMessage,
} from '../../../../src/dbus/message-codec.js';

const textArb = fc.string({ maxLength: 20 }).filter((s) => !s.includes('\0'));

/** Messages of the kinds a central receives: signals, replies (some with fds), errors. */
const messageArb: fc.Arbitrary<OutgoingMessage> = fc.oneof(
  fc.record({
    type: fc.constant(MessageType.signal),
    serial: fc.integer({ min: 1, max: 0xffffffff }),
    path: fc.constant('/org/bluez/hci0/dev_00_AA_01_01_00_01'),
    interface: fc.constant('org.freedesktop.DBus.Properties'),
    member: fc.constant('PropertiesChanged'),
    sender: fc.constant(':1.7'),
    signature: fc.constant('sa{sv}as'),
    body: fc.tuple(
      textArb,
      fc.dictionary(
        textArb.filter((s) => s !== '__proto__'),
        fc.oneof(
          textArb.map((s) => new Variant('s', s)),
          fc.integer({ min: -32768, max: 32767 }).map((n) => new Variant('n', n)),
          fc.uint8Array({ maxLength: 40 }).map((b) => new Variant('ay', Buffer.from(b))),
        ),
        { maxKeys: 4 },
      ),
      fc.array(textArb, { maxLength: 3 }),
    ),
  }),
  fc.record({
    type: fc.constant(MessageType.methodReturn),
    serial: fc.integer({ min: 1, max: 0xffffffff }),
    replySerial: fc.integer({ min: 1, max: 0xffffffff }),
    destination: fc.constant(':1.2'),
    signature: fc.constant('ay'),
    body: fc.tuple(fc.uint8Array({ maxLength: 600 }).map((b) => Buffer.from(b))),
  }),
  fc.record({
    type: fc.constant(MessageType.methodReturn),
    serial: fc.integer({ min: 1, max: 0xffffffff }),
    replySerial: fc.integer({ min: 1, max: 0xffffffff }),
    signature: fc.constant('hq'),
    body: fc.tuple(fc.integer({ min: 3, max: 1000 }), fc.integer({ min: 23, max: 517 })),
  }),
  fc.record({
    type: fc.constant(MessageType.error),
    serial: fc.integer({ min: 1, max: 0xffffffff }),
    replySerial: fc.integer({ min: 1, max: 0xffffffff }),
    errorName: fc.constant('org.bluez.Error.Failed'),
    signature: fc.constant('s'),
    body: fc.tuple(textArb),
  }),
);

interface Encoded {
  data: Buffer;
  fds: number[];
}

/** Cut points that split `total` bytes into chunks (sorted, unique, inside). */
function chunksOf(data: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let at = 0;
  for (const p of [...points, data.length]) {
    out.push(data.subarray(at, p));
    at = p;
  }
  return out;
}

test('any split of a stream of messages decodes to the same messages, fds in order', () => {
  fc.assert(
    fc.property(
      fc.array(messageArb, { minLength: 1, maxLength: 6 }),
      fc.array(fc.nat(), { maxLength: 20 }),
      (messages, cuts) => {
        const encoded: Encoded[] = messages.map((m) => encodeMessage(m));
        // The fds each message carries arrive as other numbers, as after SCM_RIGHTS.
        let next = 100;
        const received = encoded.map((e) => e.fds.map(() => next++));
        const expected = encoded.map((e, i) =>
          decodeMessage(e.data.subarray(0, 16), e.data.subarray(16), received[i]),
        );
        const stream = Buffer.concat(encoded.map((e) => e.data));
        // Each message's fds come with the chunk that holds its first byte.
        const starts: number[] = [];
        let pos = 0;
        for (const e of encoded) {
          starts.push(pos);
          pos += e.data.length;
        }
        const framer = new MessageFramer();
        const got: { message: unknown; fds: number[] }[] = [];
        let offset = 0;
        for (const chunk of chunksOf(stream, cuts)) {
          const end = offset + chunk.length;
          const fds = received.filter((_, i) => starts[i]! >= offset && starts[i]! < end).flat();
          got.push(...framer.push(chunk, fds));
          offset = end;
        }
        assert.deepEqual(
          got.map((g) => g.message),
          expected,
        );
        assert.deepEqual(
          got.map((g) => g.fds),
          received,
        );
        assert.equal(framer.bufferedBytes, 0);
        assert.equal(framer.pendingFds.length, 0);
      },
    ),
    { numRuns: 300 },
  );
});

const hello: OutgoingMessage = {
  type: MessageType.methodReturn,
  serial: 1,
  replySerial: 1,
  signature: 's',
  body: [':1.5'],
};

test('an incomplete message waits for more bytes and yields nothing', () => {
  const { data } = encodeMessage(hello);
  const framer = new MessageFramer();
  for (let i = 0; i < data.length - 1; i++) {
    assert.deepEqual(framer.push(data.subarray(i, i + 1)), []);
  }
  assert.equal(framer.push(data.subarray(data.length - 1)).length, 1);
});

test('malformed streams throw a DecodeError, and the framer stays broken', () => {
  const good = encodeMessage(hello).data;
  const cases: [string, Buffer][] = [
    ['bad byte order', Buffer.concat([Buffer.from('X'), good.subarray(1)])],
    ['bad version', Buffer.from(good).fill(2, 3, 4)],
    ['no header fields', Buffer.from(good).fill(0, 12, 16)],
    ['body over the limit', Buffer.from(good).fill(0xff, 4, 8)],
    ['garbage', Buffer.alloc(64, 0x6c)],
    [
      'bad padding in the body',
      (() => {
        const b = encodeMessage({ ...hello, signature: 'yu', body: [1, 2] }).data;
        b[b.length - 6] = 9;
        return b;
      })(),
    ],
  ];
  for (const [what, bytes] of cases) {
    const framer = new MessageFramer();
    assert.throws(() => framer.push(bytes), DecodeError, what);
    assert.throws(() => framer.push(good), DecodeError, `${what}: stays broken`);
  }
});

test('a message that announces more fds than arrived is a DecodeError', () => {
  const { data, fds } = encodeMessage({ ...hello, signature: 'h', body: [5] });
  assert.equal(fds.length, 1);
  assert.throws(() => new MessageFramer().push(data, []), DecodeError);
  assert.equal(unixFdCount(data.subarray(0, 16), data.subarray(16)), 1);
});

test('a message that fails to decode leaves its fds queued, for the owner to close', () => {
  const { data } = encodeMessage({ ...hello, signature: 'hs', body: [5, 'ab'] });
  data[data.length - 1] = 0x41; // the string loses its NUL terminator
  const framer = new MessageFramer();
  assert.throws(() => framer.push(data, [42]), DecodeError);
  assert.deepEqual(framer.pendingFds, [42]);
});

test('random bytes never crash or loop: a DecodeError or a wait', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(299), (bytes, cut) => {
      const framer = new MessageFramer();
      const buf = Buffer.from(bytes);
      try {
        framer.push(buf.subarray(0, cut));
        framer.push(buf.subarray(cut));
      } catch (e) {
        assert.ok(e instanceof DecodeError, String(e));
      }
    }),
    { numRuns: 500 },
  );
});

test('a frame whose header-fields length overflows 32-bit alignment is a DecodeError', () => {
  // Issue 18: this exact frame made the framer throw a RangeError.
  const framer = new MessageFramer();
  assert.throws(
    () => framer.push(Buffer.from('6c010001000000000100000000000080', 'hex')),
    DecodeError,
  );
  assert.throws(() => framer.push(Buffer.alloc(0)), DecodeError, 'and the stream stays broken');
});
