// Counting the bench's burst advertisements wherever they arrive.
import { advBurstOf } from '../protocol.js';

/** Distinct counters per burst id, with when the first and the last new one arrived. */
export class Tally {
  readonly seen = new Map<number, Set<number>>();
  firstAt = 0;
  lastAt = 0;
  reports = 0;

  add(data: Uint8Array | undefined): void {
    const c = data && advBurstOf(data);
    if (!c) return;
    this.reports++;
    let s = this.seen.get(c.burst);
    if (!s) this.seen.set(c.burst, (s = new Set()));
    if (s.has(c.counter)) return;
    s.add(c.counter);
    this.lastAt = Date.now();
    this.firstAt ||= this.lastAt;
  }

  /** Distinct counters per burst id. */
  counts(): Record<string, number> {
    return Object.fromEntries([...this.seen].map(([k, v]) => [String(k), v.size]));
  }

  json(): Record<string, unknown> {
    return {
      distinct: this.counts(),
      reports: this.reports,
      firstAt: this.firstAt,
      lastAt: this.lastAt,
    };
  }
}
