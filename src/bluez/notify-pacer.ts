// Paces a stream of values handed to bluetoothd (PropertiesChanged signals or AcquireNotify
// socket packets) without one D-Bus round trip per value: bluetoothd forwards whatever it gets
// and a central that falls behind loses values, so the sender must not run unboundedly ahead,
// but a round trip per value made the obvious `for (...) await c.notify(v)` loop several times
// slower than a python-dbus peripheral.

/** Values sent between two round trips: at most this many are ever ahead of bluetoothd. */
export const NOTIFY_WINDOW = 32;

const SETTLED = Promise.resolve();

/**
 * Counts values as they are sent. Every `window / 2` values it starts a round trip (a call
 * that bluetoothd answers only after everything sent before it) and makes that value wait for
 * the round trip started at the boundary before, which has usually come back by then: an
 * awaited loop stalls only when bluetoothd is more than half a window behind, and never runs a
 * full window ahead. The other values resolve at once. Round trips asked for in the same tick
 * are one call, so a burst of unawaited sends costs few pending calls (the system bus allows
 * 128 per connection).
 *
 * After a failed round trip every value waits for a round trip of its own until one succeeds,
 * so a lost bluetoothd keeps failing each await with the typed error instead of only now and
 * then, and a recovered one brings the fast path back.
 */
export class NotifyPacer {
  private sinceRoundTrip = 0;
  private failing = false;
  private pending: Promise<void> | undefined;
  /** The round trip started at the last boundary, which the next boundary waits for. */
  private inFlight: Promise<void> = SETTLED;
  private readonly stride: number;

  constructor(
    /** Resolves once bluetoothd has handled everything sent before it; rejects typed. */
    private readonly roundTrip: () => Promise<void>,
    readonly window = NOTIFY_WINDOW,
  ) {
    if (!Number.isInteger(window) || window < 1) {
      throw new RangeError(`notify window must be a positive integer, got ${window}`);
    }
    this.stride = Math.max(1, Math.floor(window / 2));
  }

  /** Call once per value, right after handing it over; await the result before the next. */
  sent(): Promise<void> {
    if (this.failing) {
      // Its own round trip supersedes the one in flight: the window starts again from here.
      this.inFlight = SETTLED;
      this.sinceRoundTrip = 0;
      return this.next();
    }
    if (++this.sinceRoundTrip < this.stride) return SETTLED;
    this.sinceRoundTrip = 0;
    const before = this.inFlight;
    this.inFlight = this.next();
    // Awaited by the next boundary, or by nobody if the stream stops here: its failure still
    // reaches the next value through `failing`.
    this.inFlight.catch(() => undefined);
    return this.window === 1 ? this.inFlight : before;
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
