import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixFdDistribution, unixFdCount, type FdStream } from '../../../src/dbus/fd-stream.js';

function fakeStream(chunks: Buffer[], fds: number[]): FdStream & { _wrap: { fds: number[] } } {
  let data = Buffer.concat(chunks);
  const s = {
    _wrap: { fds: [...fds] },
    read(size?: number, fdSize?: number | null): unknown {
      if (size === undefined || data.length < size) return null;
      const out = data.subarray(0, size);
      data = data.subarray(size);
      if (fdSize === undefined) return out;
      const n = fdSize === null ? s._wrap.fds.length : fdSize;
      return { data: out, fds: s._wrap.fds.splice(0, n) };
    },
  };
  return s;
}

/** Builds a little-endian header-field array: [code, signature, value] triples. */
function fields(entries: [number, 's' | 'o' | 'g' | 'u', string | number][]): Buffer {
  const parts: number[] = [];
  const pad = (to: number) => {
    while (parts.length % to) parts.push(0);
  };
  for (const [code, sig, value] of entries) {
    pad(8);
    parts.push(code, 1, sig.charCodeAt(0), 0);
    if (sig === 'u') {
      pad(4);
      const b = Buffer.alloc(4);
      b.writeUInt32LE(value as number);
      parts.push(...b);
    } else if (sig === 'g') {
      const v = Buffer.from(value as string);
      parts.push(v.length, ...v, 0);
    } else {
      pad(4);
      const v = Buffer.from(value as string);
      const len = Buffer.alloc(4);
      len.writeUInt32LE(v.length);
      parts.push(...len, ...v, 0);
    }
  }
  return Buffer.from(parts);
}

function message(f: Buffer, bodyLength = 0): Buffer[] {
  const header = Buffer.alloc(16);
  header[0] = 0x6c;
  header.writeUInt32LE(bodyLength, 4);
  header.writeUInt32LE(f.length, 12);
  const padded = Buffer.alloc(((f.length + 7) >> 3) << 3);
  f.copy(padded);
  return [header, Buffer.concat([padded, Buffer.alloc(bodyLength)])];
}

/** What dbus-next's reader does per message: the 16-byte header, then the rest with fdSize null. */
function readMessage(stream: FdStream): { data: Buffer; fds: number[] } {
  const header = stream.read(16) as Buffer;
  const rest = (((header.readUInt32LE(12) + 7) >> 3) << 3) + header.readUInt32LE(4);
  return stream.read(rest, null) as { data: Buffer; fds: number[] };
}

test('unixFdCount walks the header fields to UNIX_FDS', () => {
  const f = fields([
    [1, 'o', '/org/bluez/hci0/dev_00_AA_01_01_00_01/service0010/char0011'],
    [5, 'u', 12],
    [8, 'g', 'hq'],
    [9, 'u', 1],
  ]);
  assert.equal(unixFdCount(f, f.length, true), 1);
  const none = fields([
    [1, 'o', '/x'],
    [3, 's', 'PropertiesChanged'],
  ]);
  assert.equal(unixFdCount(none, none.length, true), 0);
  assert.equal(unixFdCount(Buffer.from([1, 1, 0x76, 0]), 4, true), undefined, 'variant sig');
});

test("a signal read before a reply no longer takes the reply's fd", () => {
  const signal = message(fields([[3, 's', 'PropertiesChanged']]), 8);
  const reply = message(
    fields([
      [5, 'u', 3],
      [8, 'g', 'hq'],
      [9, 'u', 1],
    ]),
    8,
  );
  const stream = fakeStream([...signal, ...reply], [42]);
  fixFdDistribution(stream);
  assert.deepEqual(readMessage(stream).fds, []);
  assert.deepEqual(readMessage(stream).fds, [42]);
});

test('without the fix, the signal swallows the fd (the bug this guards against)', () => {
  const signal = message(fields([[3, 's', 'PropertiesChanged']]), 8);
  assert.deepEqual(readMessage(fakeStream(signal, [42])).fds, [42]);
});
