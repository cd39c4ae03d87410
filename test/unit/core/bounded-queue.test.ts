import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BoundedQueue } from '../../../src/core/bounded-queue.js';
import { AbortError, BleError, InvalidArgumentError } from '../../../src/core/errors.js';

async function drain<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

test('dropOldest keeps the newest items, counts and reports each drop', async () => {
  const drops: number[] = [];
  const q = new BoundedQueue<number>({
    limit: 3,
    overflow: 'dropOldest',
    onDrop: (n) => drops.push(n),
  });
  for (let i = 1; i <= 5; i++) q.push(i);
  q.end();
  assert.deepEqual(await drain(q), [3, 4, 5]);
  assert.equal(q.dropped, 2);
  assert.deepEqual(drops, [1, 2]);
});

test('a waiting consumer gets items directly: nothing is buffered or dropped', async () => {
  const q = new BoundedQueue<number>({ limit: 1, overflow: 'dropOldest' });
  const got: number[] = [];
  const reader = (async () => {
    for await (const x of q) {
      got.push(x);
      if (got.length === 3) break;
    }
  })();
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setImmediate(r));
    q.push(i);
  }
  await reader;
  assert.deepEqual(got, [0, 1, 2]);
  assert.equal(q.dropped, 0);
});

test('an overflow function fails the stream with its error instead', async () => {
  const q = new BoundedQueue<number>({
    limit: 1,
    overflow: () => new BleError('behind', 'ERR_MGMT_OVERFLOW'),
  });
  q.push(1);
  q.push(2);
  await assert.rejects(q.next(), (e: unknown) => (e as BleError).code === 'ERR_MGMT_OVERFLOW');
});

test('onStart runs at the first next(), onReturn is awaited by return(), onDone runs once', async () => {
  const calls: string[] = [];
  const q = new BoundedQueue<number>({
    limit: 2,
    overflow: 'dropOldest',
    onStart: () => calls.push('start'),
    onReturn: async () => {
      await new Promise((r) => setTimeout(r, 5));
      calls.push('returned');
    },
  });
  q.onDone(() => calls.push('done'));
  assert.deepEqual(calls, []);
  q.push(1);
  assert.deepEqual(await q.next(), { value: 1, done: false });
  await q.return();
  q.end();
  assert.deepEqual(calls, ['start', 'done', 'returned']);
});

test('an aborted signal fails it with AbortError; bad sizes are refused', async () => {
  const ac = new AbortController();
  const q = new BoundedQueue<number>({ limit: 2, overflow: 'dropOldest', signal: ac.signal });
  const p = q.next();
  ac.abort('why');
  await assert.rejects(p, (e: unknown) => e instanceof AbortError && e.cause === 'why');
  assert.throws(() => new BoundedQueue({ limit: 0, overflow: 'dropOldest' }), InvalidArgumentError);
});
