import { AbortError, BleError } from '../core/errors.js';

/**
 * A bounded push → async-iterator bridge. A consumer that falls `limit` items behind gets an
 * ERR_MGMT_OVERFLOW error instead of an ever-growing queue; `end()` finishes the iteration
 * after the buffered items; an aborted signal fails it with AbortError at once.
 */
export class EventQueue<T> implements AsyncIterableIterator<T> {
  private readonly items: T[] = [];
  private readonly waiters: {
    resolve: (r: IteratorResult<T>) => void;
    reject: (e: Error) => void;
  }[] = [];
  private error: Error | undefined;
  private ended = false;
  private doneCallbacks: (() => void)[] = [];
  private readonly onAbort = (): void =>
    this.fail(new AbortError(undefined, { cause: this.signal?.reason }));

  constructor(
    private readonly limit: number,
    private readonly signal?: AbortSignal,
  ) {
    if (!Number.isInteger(limit) || limit < 1)
      throw new BleError(`Invalid buffer size ${limit}`, 'ERR_BLE_INVALID_ARGUMENT');
    if (signal?.aborted) this.onAbort();
    else signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  /** Called once when the iteration is over for any reason. */
  onDone(cb: () => void): void {
    if (this.finished) cb();
    else this.doneCallbacks.push(cb);
  }

  private get finished(): boolean {
    return this.ended || this.error !== undefined;
  }

  push(item: T): void {
    if (this.finished) return;
    const w = this.waiters.shift();
    if (w) {
      w.resolve({ value: item, done: false });
      return;
    }
    if (this.items.length >= this.limit) {
      this.fail(
        new BleError(`Event consumer fell ${this.limit} events behind`, 'ERR_MGMT_OVERFLOW'),
      );
      return;
    }
    this.items.push(item);
  }

  end(): void {
    if (this.finished) return;
    this.ended = true;
    this.finish();
    for (const w of this.waiters.splice(0)) w.resolve({ value: undefined, done: true });
  }

  private fail(e: Error): void {
    if (this.finished) return;
    this.error = e;
    this.items.length = 0;
    this.finish();
    for (const w of this.waiters.splice(0)) w.reject(e);
  }

  private finish(): void {
    this.signal?.removeEventListener('abort', this.onAbort);
    for (const cb of this.doneCallbacks.splice(0)) cb();
  }

  next(): Promise<IteratorResult<T>> {
    if (this.items.length > 0)
      return Promise.resolve({ value: this.items.shift() as T, done: false });
    if (this.error) return Promise.reject(this.error);
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  return(): Promise<IteratorResult<T>> {
    this.items.length = 0;
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
