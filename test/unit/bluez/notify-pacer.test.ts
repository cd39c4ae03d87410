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

test('an awaited loop makes a round trip per half window and never runs a window ahead', async () => {
  const b = fakeBluetoothd();
  const pacer = new NotifyPacer(b.roundTrip, 32);
  for (let i = 0; i < 300; i++) {
    b.send(i);
    await pacer.sent();
  }
  assert.equal(b.calls, Math.floor(300 / 16));
  assert.ok(b.maxAhead <= 32, `ran ${b.maxAhead} values ahead`);
  assert.ok(b.maxAhead > 16, 'the pipelining lets the loop run past half a window');
  assert.deepEqual(
    b.log,
    Array.from({ length: 300 }, (_, i) => i),
  );
});

test("a loop that is never awaited is not a window: unawaited sends are the caller's", async () => {
  // The window holds only for callers that await: here the bound is the one round trip shared.
  const b = fakeBluetoothd();
  const pacer = new NotifyPacer(b.roundTrip, 4);
  const settled: number[] = [];
  const all: Promise<void>[] = [];
  for (let i = 1; i <= 8; i++) all.push(pacer.sent().then(() => void settled.push(i)));
  await Promise.resolve();
  await Promise.resolve();
  // 2 and 4 are boundaries: 2 waits for nothing started before it, 4 for the round trip of 2.
  assert.deepEqual(settled, [1, 2, 3, 5, 7]);
  await Promise.all(all);
  assert.deepEqual(settled, [1, 2, 3, 5, 7, 4, 6, 8]);
  assert.equal(b.calls, 1);
});

test('a window of 1 waits for its own round trip on every value', async () => {
  const b = fakeBluetoothd();
  const pacer = new NotifyPacer(b.roundTrip, 1);
  for (let i = 0; i < 10; i++) {
    b.send(i);
    await pacer.sent();
    assert.equal(b.maxAhead, 1);
  }
  assert.equal(b.calls, 10);
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
    let down = true;
    const b = fakeBluetoothd(() => (down ? gone : undefined));
    const pacer = new NotifyPacer(b.roundTrip, 4);
    const outcome: string[] = [];
    const step = async (): Promise<void> => {
      b.send(outcome.length);
      try {
        await pacer.sent();
        outcome.push('ok');
      } catch (e) {
        assert.ok(e instanceof BackendError, 'the round trip error comes back as is');
        outcome.push('err');
      }
    };
    for (let i = 0; i < 8; i++) await step();
    // Within a window the first failure shows; from then on every value checks and fails.
    const first = outcome.indexOf('err');
    assert.ok(first >= 0 && first < 4, `first error at value ${first + 1}`);
    assert.deepEqual(outcome.slice(first), Array(8 - first).fill('err'));
    down = false;
    for (let i = 0; i < 8; i++) await step();
    assert.deepEqual(outcome.slice(8), Array(8).fill('ok'));
    const calls = b.calls;
    for (let i = 0; i < 8; i++) await step();
    assert.ok(b.calls - calls <= 4, 'back on the fast path once bluetoothd answered');
  });
});

test('a failed round trip nobody awaits (the stream stopped) fails the next value', async () => {
  await noUnhandled(async () => {
    let down = false;
    const b = fakeBluetoothd(() =>
      down ? new BackendError('gone', { backend: 'dbus' }) : undefined,
    );
    const pacer = new NotifyPacer(b.roundTrip, 4);
    for (let i = 0; i < 3; i++) await pacer.sent();
    await new Promise((r) => setTimeout(r, 10));
    down = true;
    await pacer.sent(); // a boundary: starts a round trip that fails, awaits an older one
    await new Promise((r) => setTimeout(r, 10));
    await assert.rejects(pacer.sent(), BackendError);
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
