/**
 * Runs calls that share a key one after another. bluetoothd 5.66 keeps one pending write per
 * characteristic or descriptor and answers a second with "In Progress", so a caller who overlaps
 * two writes on one attribute gets a failure that says nothing about their data. Queuing them
 * here makes overlapping writes wait their turn instead.
 */
export class OneAtATime {
  private readonly tails = new Map<string, Promise<void>>();

  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const before = this.tails.get(key) ?? Promise.resolve();
    const result = before.then(fn);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    // The map holds only keys with work queued: the last call out removes its key.
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Keys with a call running or queued (for tests and leak checks). */
  get size(): number {
    return this.tails.size;
  }
}
