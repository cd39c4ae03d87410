import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OneAtATime } from '../../../src/bluez/one-at-a-time.js';

const tick = () => new Promise((r) => setImmediate(r));

test('calls on one key never overlap and keep their order', async () => {
  const q = new OneAtATime();
  const log: string[] = [];
  let running = 0;
  const job = (name: string) => async () => {
    running++;
    assert.equal(running, 1, `${name} overlapped another call`);
    log.push(`start ${name}`);
    await tick();
    await tick();
    log.push(`end ${name}`);
    running--;
    return name;
  };
  const results = await Promise.all(['a', 'b', 'c'].map((n) => q.run('k', job(n))));
  assert.deepEqual(results, ['a', 'b', 'c']);
  assert.deepEqual(log, ['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  await tick();
  assert.equal(q.size, 0);
});

test('different keys run side by side', async () => {
  const q = new OneAtATime();
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const slow = q.run('read', () => gate.then(() => 'slow'));
  const fast = await q.run('write', async () => 'fast');
  assert.equal(fast, 'fast');
  release();
  assert.equal(await slow, 'slow');
});

test('a failed call rejects its caller only and the next one still runs', async () => {
  const q = new OneAtATime();
  const first = q.run('k', async () => {
    throw new Error('boom');
  });
  const second = q.run('k', async () => 2);
  await assert.rejects(first, /boom/);
  assert.equal(await second, 2);
  await tick();
  assert.equal(q.size, 0);
});
