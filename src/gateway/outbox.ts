/** A message waiting for the broker. */
export interface Pending {
  topic: string;
  text: string;
  retain: boolean;
}

/**
 * What the gateway publishes while the broker is away, up to `limit` messages, in order. When
 * full, the oldest is dropped and counted: the status message reports `dropped`. A retained
 * message replaces a waiting one on the same topic (it is state; only the latest matters), so
 * it is not counted as a loss.
 */
export class Outbox {
  private queue: Pending[] = [];
  /** Messages lost to the bound since the gateway started. */
  dropped = 0;

  constructor(readonly limit: number) {}

  get size(): number {
    return this.queue.length;
  }

  push(m: Pending): void {
    if (m.retain) {
      const i = this.queue.findIndex((q) => q.retain && q.topic === m.topic);
      if (i >= 0) this.queue.splice(i, 1);
    }
    this.queue.push(m);
    while (this.queue.length > this.limit) {
      this.queue.shift();
      this.dropped += 1;
    }
  }

  /** Everything waiting, oldest first; the outbox is empty afterwards. */
  take(): Pending[] {
    const all = this.queue;
    this.queue = [];
    return all;
  }
}
