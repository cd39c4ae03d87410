/**
 * At most one call per key per interval, never losing the latest: a call inside the interval
 * replaces any pending one and runs when the interval ends. Used per device and topic, so a
 * chatty advertiser cannot flood the broker while its last value still gets through.
 */
export class RateLimiter {
  private readonly last = new Map<string, number>();
  private readonly pending = new Map<string, { fn: () => void; timer: NodeJS.Timeout }>();
  /** Calls replaced by a later one before they ran. */
  dropped = 0;

  constructor(private readonly intervalMs: number) {}

  offer(key: string, fn: () => void): void {
    const now = Date.now();
    const wait = (this.last.get(key) ?? -Infinity) + this.intervalMs - now;
    const queued = this.pending.get(key);
    if (wait <= 0 && !queued) {
      this.last.set(key, now);
      fn();
      return;
    }
    if (queued) {
      this.dropped += 1;
      queued.fn = fn;
      return;
    }
    const timer = setTimeout(() => {
      const p = this.pending.get(key);
      this.pending.delete(key);
      this.last.set(key, Date.now());
      p?.fn();
    }, wait);
    timer.unref();
    this.pending.set(key, { fn, timer });
  }

  /** Forgets a key (a device gone away) and its pending call. */
  forget(key: string): void {
    const p = this.pending.get(key);
    if (p) clearTimeout(p.timer);
    this.pending.delete(key);
    this.last.delete(key);
  }

  /** Cancels everything pending. */
  clear(): void {
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
    this.last.clear();
  }
}
