// Paces a stream of values handed to bluetoothd (PropertiesChanged signals or AcquireNotify
// socket packets) without one D-Bus round trip per value: bluetoothd forwards whatever it gets
// and a central that falls behind loses values, so the sender must not run unboundedly ahead,
// but a round trip per value made the obvious `for (...) await c.notify(v)` loop several times
// slower than a python-dbus peripheral.

/** Values sent between two round trips: at most this many are ever ahead of bluetoothd. */
export const NOTIFY_WINDOW = 32;

const SETTLED = Promise.resolve();

/**
 * Counts values as they are sent. Every `window`-th value gets a round trip (a call that
 * bluetoothd answers only after everything sent before it), and its sender waits for it; the
 * others resolve at once. Values that hit the window in the same tick share one round trip, so
 * a burst of unawaited sends costs few pending calls (the system bus allows 128 per
 * connection).
 *
 * After a failed round trip every value waits for a round trip of its own until one succeeds,
 * so a lost bluetoothd keeps failing each await with the typed error instead of only every
 * `window`-th one, and a recovered one brings the fast path back.
 */
export class NotifyPacer {
  private sinceRoundTrip = 0;
  private failing = false;
  private pending: Promise<void> | undefined;

  constructor(
    /** Resolves once bluetoothd has handled everything sent before it; rejects typed. */
    private readonly roundTrip: () => Promise<void>,
    readonly window = NOTIFY_WINDOW,
  ) {
    if (!Number.isInteger(window) || window < 1) {
      throw new RangeError(`notify window must be a positive integer, got ${window}`);
    }
  }

  /** Call once per value, right after handing it over; await the result before the next. */
  sent(): Promise<void> {
    if (++this.sinceRoundTrip < this.window && !this.failing) return SETTLED;
    this.sinceRoundTrip = 0;
    return this.next();
  }

  /** A round trip after everything sent so far (shared with others asked for in this tick). */
  next(): Promise<void> {
    // Issued at the microtask checkpoint, behind every value sent in this tick.
    this.pending ??= SETTLED.then(() => {
      this.pending = undefined;
      return this.roundTrip();
    }).then(
      () => {
        this.failing = false;
      },
      (err: unknown) => {
        this.failing = true;
        throw err;
      },
    );
    return this.pending;
  }
}
