import { AbortError, InvalidArgumentError } from './errors.js';

/**
 * A live stream (`for await`) whose buffer is bounded: when the consumer falls behind, the
 * oldest buffered items are dropped and counted in `dropped`.
 */
export interface BoundedStream<T> extends AsyncIterableIterator<T> {
  /** Items dropped so far because the consumer was more than the buffer size behind. */
  readonly dropped: number;
}

export interface BoundedQueueOptions {
  /** Items buffered for a slow consumer. */
  limit: number;
  /** Aborting fails the iteration with AbortError at once. */
  signal?: AbortSignal | undefined;
  /**
   * What a full buffer does with one more item: 'dropOldest' makes room (counted in
   * `dropped`, reported through `onDrop`); otherwise the error this returns fails the stream.
   */
  overflow: 'dropOldest' | (() => Error);
  /** Called for each dropped item with the running total. */
  onDrop?: (dropped: number) => void;
  /** Called at the first next(): a stream starts its work lazily, like a generator. */
  onStart?: () => void;
  /** Awaited by return() (leaving a for-await loop), after the stream has ended. */
  onReturn?: () => Promise<void>;
}

/**
 * A bounded push → async-iterator bridge. `end()` finishes the iteration after the buffered
 * items; `fail()` and an aborted signal fail it at once, and `return()` (leaving a for-await
 * loop) ends it; `onDone` callbacks run once whichever comes first.
 */
export class BoundedQueue<T> implements BoundedStream<T> {
  private readonly items: T[] = [];
  private readonly waiters: {
    resolve: (r: IteratorResult<T>) => void;
    reject: (e: Error) => void;
  }[] = [];
  private error: Error | undefined;
  private ended = false;
  private doneCallbacks: (() => void)[] = [];
  private droppedCount = 0;
  private started = false;
  private readonly limit: number;
  private readonly signal: AbortSignal | undefined;
  private readonly onAbort = (): void =>
    this.fail(new AbortError(undefined, { cause: this.signal?.reason }));

  constructor(private readonly options: BoundedQueueOptions) {
    const { limit, signal } = options;
    if (!Number.isInteger(limit) || limit < 1)
      throw new InvalidArgumentError(`Invalid buffer size ${limit}: need an integer >= 1`);
    this.limit = limit;
    this.signal = signal;
    if (signal?.aborted) this.onAbort();
    else signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  get dropped(): number {
    return this.droppedCount;
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
      const { overflow } = this.options;
      if (overflow !== 'dropOldest') {
        this.fail(overflow());
        return;
      }
      this.items.shift();
      this.droppedCount++;
      this.options.onDrop?.(this.droppedCount);
    }
    this.items.push(item);
  }

  end(): void {
    if (this.finished) return;
    this.ended = true;
    this.finish();
    for (const w of this.waiters.splice(0)) w.resolve({ value: undefined, done: true });
  }

  fail(e: Error): void {
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
    if (!this.started) {
      this.started = true;
      if (!this.finished) this.options.onStart?.();
    }
    if (this.items.length > 0)
      return Promise.resolve({ value: this.items.shift() as T, done: false });
    if (this.error) return Promise.reject(this.error);
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  async return(): Promise<IteratorResult<T>> {
    this.items.length = 0;
    this.end();
    await this.options.onReturn?.();
    return { value: undefined, done: true };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
