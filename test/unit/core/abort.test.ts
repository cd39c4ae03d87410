import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cancellable, delay, throwIfAborted, withTimeout } from '../../../src/core/abort.js';
import { AbortError, InvalidArgumentError, TimeoutError } from '../../../src/core/errors.js';

const never = <T>() => new Promise<T>(() => undefined);

test('withTimeout resolves and rejects like the promise when it settles first', async () => {
  assert.equal(await withTimeout(Promise.resolve(5), 1000, 'x'), 5);
  const boom = new Error('boom');
  await assert.rejects(withTimeout(Promise.reject(boom), 1000, 'x'), (e) => e === boom);
});

test('withTimeout rejects with TimeoutError naming the operation', async () => {
  const start = Date.now();
  await assert.rejects(withTimeout(never(), 30, 'read 0x002a'), (e: unknown) => {
    assert.ok(e instanceof TimeoutError);
    assert.equal(e.code, 'ERR_BLE_TIMEOUT');
    assert.equal(e.message, 'read 0x002a timed out after 30 ms');
    return true;
  });
  assert.ok(Date.now() - start >= 25);
});

test('withTimeout rejects with AbortError on abort, with the reason as cause', async () => {
  const ac = new AbortController();
  const p = withTimeout(never(), 10_000, 'x', ac.signal);
  const reason = new Error('user');
  ac.abort(reason);
  await assert.rejects(
    p,
    (e: unknown) => e instanceof AbortError && e.cause === reason && e.name === 'AbortError',
  );
});

test('withTimeout with an already aborted signal rejects at once and handles a late rejection', async () => {
  const ac = new AbortController();
  ac.abort();
  let rejectLater!: (e: Error) => void;
  const p = new Promise<never>((_, r) => (rejectLater = r));
  await assert.rejects(withTimeout(p, 10_000, 'x', ac.signal), AbortError);
  rejectLater(new Error('late')); // would be an unhandledRejection (test failure) if not subscribed
  await delay(5);
});

test('withTimeout removes its abort listener and timer after settling', async () => {
  const ac = new AbortController();
  let added = 0;
  let removed = 0;
  const sig = ac.signal;
  const origAdd = sig.addEventListener.bind(sig);
  const origRemove = sig.removeEventListener.bind(sig);
  sig.addEventListener = ((...a: Parameters<typeof origAdd>) => (
    added++,
    origAdd(...a)
  )) as typeof origAdd;
  sig.removeEventListener = ((...a: Parameters<typeof origRemove>) => (
    removed++,
    origRemove(...a)
  )) as typeof origRemove;
  assert.equal(await withTimeout(Promise.resolve(1), 60_000, 'x', sig), 1);
  assert.equal(added, 1);
  assert.equal(removed, 1);
  // A pending 60 s timer would keep the test process alive; node --test would report it late.
});

test('withTimeout Infinity means no limit; invalid ms is InvalidArgumentError', async () => {
  assert.equal(
    await withTimeout(
      delay(10).then(() => 'ok'),
      Infinity,
      'x',
    ),
    'ok',
  );
  for (const ms of [-1, NaN, 2 ** 31, '5' as unknown as number]) {
    await assert.rejects(withTimeout(Promise.resolve(1), ms, 'x'), InvalidArgumentError);
  }
});

test('throwIfAborted', () => {
  throwIfAborted(undefined);
  throwIfAborted(new AbortController().signal);
  const ac = new AbortController();
  ac.abort('why');
  assert.throws(
    () => throwIfAborted(ac.signal),
    (e: unknown) => e instanceof AbortError && e.cause === 'why',
  );
});

test('delay waits, and rejects with AbortError on abort', async () => {
  const t0 = Date.now();
  await delay(20);
  assert.ok(Date.now() - t0 >= 15);
  const ac = new AbortController();
  const p = delay(10_000, ac.signal);
  ac.abort();
  await assert.rejects(p, AbortError);
  const done = new AbortController();
  done.abort();
  await assert.rejects(delay(1, done.signal), AbortError);
  await assert.rejects(delay(-1), InvalidArgumentError);
  await assert.rejects(delay(Infinity), InvalidArgumentError);
});

test('cancellable hands run a signal that aborts with the error the caller got', async () => {
  let inner: AbortSignal | undefined;
  await assert.rejects(
    cancellable('op', 20, [], (s) => {
      inner = s;
      return never();
    }),
    TimeoutError,
  );
  assert.ok(inner?.aborted);
  assert.ok(inner?.reason instanceof TimeoutError);
  const a = new AbortController();
  const b = new AbortController();
  const p = cancellable('op', Infinity, [a.signal, undefined, b.signal], (s) => {
    inner = s;
    return never();
  });
  b.abort('second');
  await assert.rejects(p, (e: unknown) => e instanceof AbortError && e.cause === 'second');
  assert.ok(inner.aborted);
});

test('cancellable settles like run when it finishes first, and checks its inputs', async () => {
  let inner: AbortSignal | undefined;
  const ac = new AbortController();
  assert.equal(
    await cancellable('op', 1000, [ac.signal], async (s) => {
      inner = s;
      return 3;
    }),
    3,
  );
  ac.abort();
  assert.equal(inner?.aborted, false);
  await assert.rejects(
    cancellable('op', 1000, [], () => Promise.reject(new Error('x'))),
    /x/,
  );
  assert.throws(() => cancellable('op', -1, [], async () => 1), InvalidArgumentError);
  assert.throws(() => cancellable('op', 10, [AbortSignal.abort()], async () => 1), AbortError);
});
