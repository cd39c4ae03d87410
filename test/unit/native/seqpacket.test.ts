import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test } from 'node:test';
import { InvalidArgumentError, TimeoutError } from '../../../src/core/errors.js';
import {
  closeFd,
  nativeAvailable,
  need,
  PacketSocket,
  seqpacketPair,
  SocketClosedError,
} from '../../../src/native/seqpacket.js';

function pair(): [PacketSocket, PacketSocket] {
  const [a, b] = seqpacketPair();
  return [new PacketSocket(a), new PacketSocket(b)];
}

/** The sequence numbers `b` receives, and how many 'packets' events carried them. */
function collect(b: PacketSocket, total: number) {
  const got = { received: [] as number[], batches: 0, done: Promise.resolve() };
  got.done = new Promise<void>((resolve) => {
    b.on('packets', (ps) => {
      got.batches++;
      for (const p of ps) got.received.push(p.readUInt32LE(0));
      if (got.received.length === total) resolve();
    });
  });
  return got;
}

function seq(n: number, size = 20): Buffer {
  const b = Buffer.alloc(size, 0xaa);
  b.writeUInt32LE(n, 0);
  return b;
}

test('the native addon is built and loads', () => {
  assert.equal(nativeAvailable(), true);
});

test('packets keep their boundaries and order', async () => {
  const [a, b] = pair();
  const got: Buffer[] = [];
  b.on('packets', (ps) => got.push(...ps));
  const sent = [Buffer.from([1]), Buffer.from('hello'), Buffer.alloc(512, 7)];
  for (const p of sent) await a.write(p);
  while (got.length < sent.length) await once(b, 'packets');
  assert.deepEqual(got, sent);
  a.close();
  b.close();
});

test('a full socket makes write() wait, and nothing is lost or reordered', async () => {
  const [a, b] = pair();
  const total = 20_000;
  let filled = 0;
  while (a.tryWrite(seq(filled))) filled++;
  assert.ok(filled > 0 && filled < total, `socket filled after ${filled} packets`);
  const got = collect(b, total);
  const writes: Promise<void>[] = [];
  for (let i = filled; i < total; i++) writes.push(a.write(seq(i)));
  await Promise.all(writes);
  await got.done;
  assert.equal(got.received.length, total);
  assert.ok(
    got.received.every((n, i) => n === i),
    'out of order',
  );
  assert.ok(got.batches < total / 4, `expected batched delivery, got ${got.batches} batches`);
  a.close();
  b.close();
});

test('writeMany hands up to 64 packets to the kernel in one call, each a packet', async () => {
  const [a, b] = pair();
  const handle = (a as unknown as { handle: unknown }).handle;
  const got: number[] = [];
  b.on('packets', (ps) => got.push(...ps.map((p) => p.readUInt32LE(0))));
  const bufs = Array.from({ length: 100 }, (_, i) => seq(i));
  assert.equal(need().writeMany(handle, bufs), 64);
  assert.equal(need().writeMany(handle, bufs.slice(64)), 36);
  assert.equal(need().writeMany(handle, []), 0);
  while (got.length < 100) await once(b, 'packets');
  assert.deepEqual(
    got,
    Array.from({ length: 100 }, (_, i) => i),
  );
  a.close();
  b.close();
});

test('a burst written in one tick arrives whole and in order', async () => {
  const [a, b] = pair();
  const got: number[] = [];
  b.on('packets', (ps) => got.push(...ps.map((p) => p.readUInt32LE(0))));
  await Promise.all(Array.from({ length: 150 }, (_, i) => a.write(seq(i))));
  while (got.length < 150) await once(b, 'packets');
  assert.deepEqual(
    got,
    Array.from({ length: 150 }, (_, i) => i),
  );
  a.close();
  b.close();
});

test('a packet that is not bytes is refused alone, with a typed error', async () => {
  const [a, b] = pair();
  const got = once(b, 'packets');
  const good = a.write(seq(1));
  const bad = a.write('not bytes' as unknown as Uint8Array);
  await assert.rejects(bad, InvalidArgumentError);
  await good;
  const [ps] = (await got) as [Buffer[]];
  assert.equal(ps[0]!.readUInt32LE(0), 1);
  a.close();
  b.close();
});

test('a burst that fills the socket halfway keeps the rest queued, in order', async () => {
  const [a, b] = pair();
  let filled = 0;
  while (a.tryWrite(seq(filled))) filled++;
  // Make room for a few packets only, then write a burst bigger than that room.
  const got: number[] = [];
  b.on('packets', (ps) => got.push(...ps.map((p) => p.readUInt32LE(0))));
  const total = filled + 300;
  const writes = Array.from({ length: 300 }, (_, i) => a.write(seq(filled + i)));
  await Promise.all(writes);
  while (got.length < total) await once(b, 'packets');
  assert.deepEqual(
    got,
    Array.from({ length: total }, (_, i) => i),
  );
  a.close();
  b.close();
});

test('the peer closing surfaces as close, and later writes reject with a typed error', async () => {
  const [a, b] = pair();
  const closed = once(b, 'close');
  a.close();
  await closed;
  assert.equal(b.isClosed, true);
  await assert.rejects(b.write(Buffer.from([1])), SocketClosedError);
  assert.throws(() => b.tryWrite(Buffer.from([1])), SocketClosedError);
});

test('close() rejects writes still waiting for room', async () => {
  const [a, b] = pair();
  while (a.tryWrite(seq(0))) {
    /* fill */
  }
  const pending = a.write(seq(1));
  a.close();
  await assert.rejects(pending, SocketClosedError);
  b.close();
});

test('with stallTimeoutMs, writes fail once the socket stays full that long', async () => {
  const [ours, theirs] = seqpacketPair();
  // Nobody reads `theirs`, so the socket never drains.
  const a = new PacketSocket(ours, { stallTimeoutMs: 100 });
  while (a.tryWrite(seq(0))) {
    /* fill */
  }
  const t0 = Date.now();
  const waiting = [a.write(seq(1)), a.write(seq(2))];
  for (const w of waiting) await assert.rejects(w, TimeoutError);
  assert.ok(Date.now() - t0 >= 90, 'rejected before the stall timeout');
  // The socket stays usable: a later write waits (and times out) on its own clock.
  await assert.rejects(a.write(seq(3)), TimeoutError);
  a.close();
  closeFd(theirs);
});

test('a stall timeout does not fire while the reader keeps up', async () => {
  const [x, y] = seqpacketPair();
  // Generous, so a slow reader (ARM under qemu-user, a loaded Pi) is still one that keeps up.
  const a = new PacketSocket(x, { stallTimeoutMs: 2000 });
  const b = new PacketSocket(y);
  let got = 0;
  b.on('packets', (ps) => (got += ps.length));
  const writes: Promise<void>[] = [];
  for (let i = 0; i < 5_000; i++) writes.push(a.write(seq(i)));
  await Promise.all(writes);
  while (got < 5_000) await once(b, 'packets');
  a.close();
  b.close();
});

test('an unref()ed socket does not keep the process alive, close() is idempotent', () => {
  const [a, b] = pair();
  a.unref().ref().unref();
  a.close();
  a.close();
  b.close();
});
