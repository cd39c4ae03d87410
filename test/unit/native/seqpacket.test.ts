import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test } from 'node:test';
import {
  nativeAvailable,
  PacketSocket,
  seqpacketPair,
  SocketClosedError,
} from '../../../src/native/seqpacket.js';

function pair(): [PacketSocket, PacketSocket] {
  const [a, b] = seqpacketPair();
  return [new PacketSocket(a), new PacketSocket(b)];
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
  const received: number[] = [];
  let batches = 0;
  const done = new Promise<void>((resolve) => {
    b.on('packets', (ps) => {
      batches++;
      for (const p of ps) received.push(p.readUInt32LE(0));
      if (received.length === total) resolve();
    });
  });
  const writes: Promise<void>[] = [];
  for (let i = filled; i < total; i++) writes.push(a.write(seq(i)));
  await Promise.all(writes);
  await done;
  assert.equal(received.length, total);
  assert.ok(
    received.every((n, i) => n === i),
    'out of order',
  );
  assert.ok(batches < total / 4, `expected batched delivery, got ${batches} batches`);
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

test('an unref()ed socket does not keep the process alive, close() is idempotent', () => {
  const [a, b] = pair();
  a.unref().ref().unref();
  a.close();
  a.close();
  b.close();
});
