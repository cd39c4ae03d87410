import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NotifyPacer } from '../../../src/bluez/notify-pacer.js';
import { BackendError } from '../../../src/core/index.js';

/**
 * A stand-in for bluetoothd: values are "sent" into `log`; a round trip settles (after a
 * macrotask, like a D-Bus reply) once everything logged before it counts as handled.
 */
function fakeBluetoothd(fail?: (call: number) => Error | undefined) {
  const log: number[] = [];
  let handled = 0;
  let calls = 0;
  let maxAhead = 0;
  const roundTrip = (): Promise<void> => {
    const upTo = log.length;
    const call = ++calls;
    return new Promise((resolve, reject) =>
      setImmediate(() => {
        const err = fail?.(call);
        if (err) return reject(err);
        handled = Math.max(handled, upTo);
        resolve();
      }),
    );
  };
  const send = (v: number): void => {
    log.push(v);
    maxAhead = Math.max(maxAhead, log.length - handled);
  };
  return {
    log,
    roundTrip,
    send,
    get calls() {
      return calls;
    },
    get maxAhead() {
      return maxAhead;
    },
  };
}

/** Fails the test on any unhandled rejection raised while `fn` runs (and one tick after). */
async function noUnhandled(fn: () => Promise<void>): Promise<void> {
  const seen: unknown[] = [];
  const onUnhandled = (r: unknown): void => void seen.push(r);
  process.on('unhandledRejection', onUnhandled);
  try {
    await fn();
    await new Promise((r) => setTimeout(r, 20));
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
  assert.deepEqual(seen, [], 'unhandled rejections');
}

test('an awaited loop makes one round trip per window and never runs further ahead', async () => {
  const b = fakeBluetoothd();
  const pacer = new NotifyPacer(b.roundTrip, 32);
  for (let i = 0; i < 300; i++) {
    b.send(i);
    await pacer.sent();
  }
  assert.equal(b.calls, Math.floor(300 / 32));
  assert.ok(b.maxAhead <= 32, `ran ${b.maxAhead} values ahead`);
  assert.deepEqual(
    b.log,
    Array.from({ length: 300 }, (_, i) => i),
  );
});

test('only every window-th value waits; the others settle in the same turn', async () => {
  const b = fakeBluetoothd();
  const pacer = new NotifyPacer(b.roundTrip, 4);
  const settled: number[] = [];
  for (let i = 1; i <= 8; i++) void pacer.sent().then(() => settled.push(i));
  await Promise.resolve();
  await Promise.resolve();
  assert.deepEqual(settled, [1, 2, 3, 5, 6, 7]);
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(settled, [1, 2, 3, 5, 6, 7, 4, 8]);
});

test('window-th values hit in one tick share a round trip (bounded pending calls)', async () => {
  const b = fakeBluetoothd();
  const pacer = new NotifyPacer(b.roundTrip, 8);
  const all: Promise<void>[] = [];
  for (let i = 0; i < 1000; i++) {
    b.send(i);
    all.push(pacer.sent());
  }
  await Promise.all(all);
  assert.equal(b.calls, 1);
});

test('a failed round trip surfaces typed, then on every await until bluetoothd answers', async () => {
  await noUnhandled(async () => {
    const gone = new BackendError('org.bluez not on the bus', { backend: 'dbus' });
    const b = fakeBluetoothd((call) => (call <= 3 ? gone : undefined));
    const pacer = new NotifyPacer(b.roundTrip, 4);
    const outcome: string[] = [];
    for (let i = 1; i <= 12; i++) {
      b.send(i);
      try {
        await pacer.sent();
        outcome.push('ok');
      } catch (e) {
        assert.ok(e instanceof BackendError, 'the round trip error comes back as is');
        outcome.push('err');
      }
    }
    // Values 1-3 go unchecked; 4 meets the first failure; 5 and 6 each check and fail; 7 checks
    // and succeeds, so the window starts again from 8 (11 is the next round trip).
    assert.deepEqual(outcome, [
      'ok',
      'ok',
      'ok',
      'err',
      'err',
      'err',
      'ok',
      'ok',
      'ok',
      'ok',
      'ok',
      'ok',
    ]);
    assert.equal(b.calls, 5);
  });
});

test('a round trip that throws instead of rejecting still rejects the awaiting value', async () => {
  await noUnhandled(async () => {
    const pacer = new NotifyPacer(() => {
      throw new BackendError('D-Bus connection is closed', { backend: 'dbus' });
    }, 1);
    await assert.rejects(pacer.sent(), BackendError);
    await assert.rejects(pacer.next(), BackendError);
  });
});

test('next() waits for everything sent before it, whatever the count', async () => {
  const b = fakeBluetoothd();
  const pacer = new NotifyPacer(b.roundTrip, 32);
  for (let i = 0; i < 5; i++) {
    b.send(i);
    await pacer.sent();
  }
  assert.equal(b.calls, 0);
  await pacer.next();
  assert.equal(b.calls, 1);
});

test('the window must be a positive integer', () => {
  for (const w of [0, -1, 1.5, Number.NaN]) {
    assert.throws(() => new NotifyPacer(() => Promise.resolve(), w), RangeError);
  }
});
