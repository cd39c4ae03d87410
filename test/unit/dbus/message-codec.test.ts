import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import dbus from 'dbus-next';
import fc from 'fast-check';
import { DecodeError, InvalidArgumentError } from '../../../src/core/errors.js';
import { installDictKeyFix } from '../../../src/dbus/dict-keys.js';
import {
  decodeMessage,
  encodeMessage,
  restLength,
  type OutgoingMessage,
} from '../../../src/dbus/message-codec.js';
import { SignatureError, parseSignature } from '../../../src/dbus/signature.js';

const require = createRequire(import.meta.url);
const compat = require('dbus-next/lib/marshall-compat.js') as {
  marshallMessage: (m: unknown) => [Buffer, number[]];
  messageToJsFmt: (m: unknown) => { body: unknown[] };
};
const { unmarshall } = require('dbus-next/lib/message.js') as {
  unmarshall: (b: Buffer) => unknown;
};
// dbus-next alone cannot write integer-keyed dicts; the reference is dbus-next as blekit ran it.
installDictKeyFix();

const { Variant } = dbus;

/** A random complete type, as a signature string, with a generator of values of that type. */
interface Gen {
  sig: string;
  value: fc.Arbitrary<unknown>;
}

const pathArb = fc
  .array(fc.stringMatching(/^[A-Za-z0-9_]{1,8}$/), { minLength: 0, maxLength: 4 })
  .map((parts) => (parts.length ? '/' + parts.join('/') : '/'));
const textArb = fc.string({ maxLength: 24 }).filter((s) => !s.includes('\0'));

const basic: Record<string, fc.Arbitrary<unknown>> = {
  y: fc.integer({ min: 0, max: 255 }),
  b: fc.boolean(),
  n: fc.integer({ min: -0x8000, max: 0x7fff }),
  q: fc.integer({ min: 0, max: 0xffff }),
  i: fc.integer({ min: -0x80000000, max: 0x7fffffff }),
  u: fc.integer({ min: 0, max: 0xffffffff }),
  // dbus-next refuses the int64 minimum (checked on its own below).
  x: fc.bigInt({ min: -(2n ** 63n) + 1n, max: 2n ** 63n - 1n }),
  t: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  // dbus-next refuses infinities and writes -0 as 0; both are valid doubles (tested below).
  d: fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Object.is(d, -0)),
  s: textArb,
  o: pathArb,
};
/** Dict keys arrive as object keys (strings); integer keys stay in the safe range. */
const keyArb: Record<string, fc.Arbitrary<string>> = {
  y: fc.integer({ min: 0, max: 255 }).map(String),
  q: fc.integer({ min: 0, max: 0xffff }).map(String),
  i: fc.integer({ min: -0x80000000, max: 0x7fffffff }).map(String),
  u: fc.integer({ min: 0, max: 0xffffffff }).map(String),
  s: textArb.filter((s) => s !== '__proto__'),
  o: pathArb,
};

function typeGen(depth: number): fc.Arbitrary<Gen> {
  const leaves = Object.entries(basic).map(([sig, value]) => fc.constant({ sig, value }));
  const leaf = fc.oneof(...leaves);
  if (depth <= 0) return leaf;
  const inner = typeGen(depth - 1);
  return fc.oneof(
    { weight: 3, arbitrary: leaf },
    fc.constant<Gen>({ sig: 'ay', value: fc.uint8Array({ maxLength: 16 }).map(Buffer.from) }),
    inner.map((g) => ({ sig: `a${g.sig}`, value: fc.array(g.value, { maxLength: 3 }) })),
    fc.array(inner, { minLength: 1, maxLength: 3 }).map((gs) => ({
      sig: `(${gs.map((g) => g.sig).join('')})`,
      value: fc.tuple(...gs.map((g) => g.value)),
    })),
    fc.tuple(fc.constantFrom(...Object.keys(keyArb)), inner).map(([k, g]) => ({
      sig: `a{${k}${g.sig}}`,
      value: fc.dictionary(keyArb[k]!, g.value, { maxKeys: 3 }).map((d) => ({ ...d })),
    })),
    inner.map((g) => ({ sig: 'v', value: g.value.map((v) => new Variant(g.sig, v)) })),
  );
}

const messageArb = fc
  .array(typeGen(3), { maxLength: 4 })
  .chain((gs) =>
    fc.tuple(
      fc.constant(gs.map((g) => g.sig).join('')),
      fc.tuple(...gs.map((g) => g.value)),
      fc.integer({ min: 1, max: 0xffffffff }),
      fc.constantFrom(1, 4),
    ),
  )
  .map(([signature, body, serial, type]): OutgoingMessage => ({
    type,
    serial,
    destination: 'org.bluez',
    path: '/org/bluez/hci0',
    interface: 'org.blekit.Test',
    member: 'Go',
    signature,
    body: body as unknown[],
  }));

function split(b: Buffer): [Buffer, Buffer] {
  return [b.subarray(0, 16), b.subarray(16)];
}

function dbusNextBytes(m: OutgoingMessage): Buffer {
  const msg = new dbus.Message({ ...m, serial: undefined } as never);
  (msg as unknown as { serial: number }).serial = m.serial as number;
  return compat.marshallMessage(msg)[0];
}

test('encodes every message byte for byte as dbus-next does', () => {
  fc.assert(
    fc.property(messageArb, (m) => {
      const ours = encodeMessage(m).data;
      assert.deepEqual(ours, dbusNextBytes(m));
    }),
    { numRuns: 400 },
  );
});

test('decodes every message to what dbus-next hands its callers', () => {
  fc.assert(
    fc.property(messageArb, (m) => {
      const bytes = encodeMessage(m).data;
      const ours = decodeMessage(...split(bytes));
      // dbus-next's one-shot unmarshall needs a signature; its stream reader gives [] without.
      const theirs = m.signature ? compat.messageToJsFmt(unmarshall(bytes)).body : [];
      assert.deepStrictEqual(ours.body, theirs);
      assert.equal(ours.serial, m.serial);
      assert.equal(ours.member, 'Go');
      assert.equal(ours.signature, m.signature);
    }),
    { numRuns: 400 },
  );
});

test('a{qv} (BlueZ ManufacturerData) goes out with numeric keys and comes back keyed by string', () => {
  const m: OutgoingMessage = {
    serial: 3,
    path: '/org/bluez/hci0',
    member: 'Set',
    signature: 'a{qv}',
    body: [{ 0xffff: new Variant('ay', Buffer.from([1, 2])) }],
  };
  const bytes = encodeMessage(m).data;
  // After the 16-byte header, the path and member fields and the signature field, the body
  // starts with the array length (u32), padding to 8, then the u16 key.
  const back = decodeMessage(...split(bytes));
  const dict = back.body[0] as Record<string, { signature: string; value: Buffer }>;
  assert.deepEqual(Object.keys(dict), ['65535']);
  assert.deepEqual(dict['65535']!.value, Buffer.from([1, 2]));
  assert.ok(bytes.includes(Buffer.from([0xff, 0xff, 0x02, 0x61, 0x79, 0x00])));
});

test("'h' values become the message's fds, written by index, and read back from them", () => {
  const { data, fds } = encodeMessage({
    serial: 9,
    type: 2,
    replySerial: 4,
    signature: 'hq',
    body: [17, 23],
  });
  assert.deepEqual(fds, [17]);
  const back = decodeMessage(...split(data), [42]);
  assert.deepEqual(back.body, [42, 23]);
  assert.throws(() => decodeMessage(...split(data), []), DecodeError);
});

test('big-endian messages are read too', () => {
  const { data } = encodeMessage({ serial: 5, path: '/a', member: 'M', signature: 'u', body: [7] });
  // Re-encode the same message big-endian by hand: header, fields and body are 4-byte items.
  const be = Buffer.from(data);
  be[0] = 0x42;
  for (const at of [4, 8, 12]) be.writeUInt32BE(data.readUInt32LE(at), at);
  // Fields: path (o) at 16, member (s) at 32, signature (g) at 48; body u32 at the end.
  be.writeUInt32BE(data.readUInt32LE(20), 20);
  be.writeUInt32BE(data.readUInt32LE(36), 36);
  be.writeUInt32BE(7, be.length - 4);
  const back = decodeMessage(...split(be));
  assert.equal(back.path, '/a');
  assert.equal(back.member, 'M');
  assert.deepEqual(back.body, [7]);
});

test('bad values and signatures are refused with a typed error before anything is sent', () => {
  const base = { serial: 1, path: '/a', member: 'M' };
  const cases: [string, unknown[]][] = [
    ['y', [256]],
    ['q', [-1]],
    ['u', [1.5]],
    ['b', ['yes']],
    ['s', ['a\0b']],
    ['o', ['not/a/path']],
    ['x', [2n ** 63n]],
    ['t', [-1n]],
    ['v', ['plain']],
    ['(ss)', [['one']]],
    ['a{sv}', [[1, 2]]],
    ['as', ['abc']],
    ['ss', ['only one']],
  ];
  for (const [signature, body] of cases) {
    assert.throws(
      () => encodeMessage({ ...base, signature, body }),
      (e: unknown) => e instanceof InvalidArgumentError,
      `${signature} ${String(body)}`,
    );
  }
  for (const signature of ['a', '(', '()', 'a{vs}', 'a{sss}', '{ss}', 'z', 'a'.repeat(40) + 'y']) {
    assert.throws(
      () => encodeMessage({ ...base, signature, body: [] }),
      (e: unknown) => e instanceof SignatureError,
      signature,
    );
  }
  assert.throws(() => encodeMessage({ serial: 1, member: 'M' }), InvalidArgumentError);
  assert.throws(
    () => encodeMessage({ serial: null, path: '/a', member: 'M' }),
    InvalidArgumentError,
  );
});

test('doubles keep -0 and infinities, which dbus-next could not send', () => {
  const values = [-0, Infinity, -Infinity, Number.MIN_VALUE];
  const { data } = encodeMessage({
    serial: 2,
    path: '/a',
    member: 'M',
    signature: 'ad',
    body: [values],
  });
  const back = decodeMessage(...split(data)).body[0] as number[];
  assert.ok(Object.is(back[0], -0));
  assert.deepEqual(back.slice(1), values.slice(1));
});

test('the int64 minimum, which dbus-next refuses, goes out and comes back', () => {
  const min = -(2n ** 63n);
  const { data } = encodeMessage({
    serial: 2,
    path: '/a',
    member: 'M',
    signature: 'x',
    body: [min],
  });
  assert.equal(data.subarray(data.length - 8).toString('hex'), '0000000000000080');
  assert.deepEqual(decodeMessage(...split(data)).body, [min]);
});

test('signatures parse into shared trees', () => {
  assert.equal(parseSignature('a{sv}'), parseSignature('a{sv}'));
  assert.deepEqual(
    parseSignature('a{sv}ay').map((t) => t.code),
    ['a', 'a'],
  );
});

test('malformed bytes give a DecodeError, never a crash, a hang or another error', () => {
  const valid = messageArb.map((m) => encodeMessage(m).data);
  const damaged = fc
    .tuple(valid, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }))), fc.nat())
    .map(([b, edits, cut]) => {
      const out = Buffer.from(b);
      for (const [at, v] of edits) out[at % out.length] = v;
      return cut % 4 === 0 ? out.subarray(0, cut % out.length) : out;
    });
  fc.assert(
    fc.property(damaged, (bytes) => {
      if (bytes.length < 16) return;
      try {
        decodeMessage(bytes.subarray(0, 16), bytes.subarray(16));
      } catch (e) {
        assert.ok(e instanceof DecodeError, `got ${(e as Error).name}: ${(e as Error).message}`);
      }
    }),
    { numRuns: 2000 },
  );
});

test('a header with no fields is refused before its (empty) rest is waited for', () => {
  const header = Buffer.from([0x6c, 2, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]);
  assert.throws(() => restLength(header), DecodeError);
});

test('a deep nest of variants is refused, not recursed into without bound', () => {
  const plain = encodeMessage({
    serial: 1,
    path: '/a',
    member: 'M',
    signature: 'v',
    body: [new Variant('y', 0)],
  }).data;
  // The body of that message is 01 'y' 00 00; replace it with 200 levels of 01 'v' 00 first.
  const levels = 200;
  const body = Buffer.alloc(levels * 3 + 4);
  for (let i = 0; i < levels; i++) body.set([1, 0x76, 0], i * 3);
  body.set([1, 0x79, 0, 5], levels * 3);
  const head = Buffer.from(plain.subarray(0, plain.length - 4));
  head.writeUInt32LE(body.length, 4);
  const msg = Buffer.concat([head, body]);
  assert.throws(() => decodeMessage(msg.subarray(0, 16), msg.subarray(16)), DecodeError);
  // The same shape at a legal depth decodes.
  const ok = Buffer.concat([head, Buffer.from([1, 0x76, 0, 1, 0x79, 0, 5])]);
  ok.writeUInt32LE(7, 4);
  const back = decodeMessage(ok.subarray(0, 16), ok.subarray(16));
  assert.deepEqual(back.body, [new Variant('v', new Variant('y', 5))]);
});
