import { AbortError, InvalidArgumentError, TimeoutError } from './errors.js';
import { describeValue } from './describe.js';

function abortErrorFor(signal: AbortSignal): AbortError {
  return new AbortError(undefined, { cause: signal.reason });
}

/** Throws AbortError (with the signal's reason as `cause`) if the signal is aborted. */
export function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw abortErrorFor(signal);
}

/** Longest delay setTimeout honours; Node fires larger ones after 1 ms. */
const MAX_TIMER_MS = 0x7fffffff;

function checkMs(ms: number, allowInfinity: boolean): void {
  const ok =
    typeof ms === 'number' && ms >= 0 && (ms <= MAX_TIMER_MS || (allowInfinity && ms === Infinity));
  if (!ok) {
    throw new InvalidArgumentError(
      `Invalid time: ${describeValue(ms)} ms (need 0..${MAX_TIMER_MS}${allowInfinity ? ' or Infinity' : ''})`,
    );
  }
}

/**
 * Settles like `p`, unless `ms` passes first (TimeoutError '<what> timed out after N ms')
 * or `signal` aborts (AbortError). `ms` = Infinity means no time limit. The timer and the
 * abort listener are always removed, so nothing keeps the process alive afterwards.
 * `p` itself is not cancelled: the caller owns cleanup of the underlying operation.
 */
export function withTimeout<T>(
  p: Promise<T>,
  ms: number,
  what: string,
  signal?: AbortSignal,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    const onAbort = (): void => finish(() => reject(abortErrorFor(signal as AbortSignal)));
    const finish = (settle: () => void): void => {
      if (settled) return;
      settled = true;
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      settle();
    };
    // Subscribed first so a late rejection of `p` is always handled, even when we give up early.
    p.then(
      (v) => finish(() => resolve(v)),
      (e: unknown) => finish(() => reject(e)),
    );
    try {
      checkMs(ms, true);
      throwIfAborted(signal);
    } catch (e) {
      finish(() => reject(e));
      return;
    }
    if (ms !== Infinity) {
      timer = setTimeout(
        () => finish(() => reject(new TimeoutError(`${what} timed out after ${ms} ms`))),
        ms,
      );
    }
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Resolves after `ms`; rejects with AbortError (and clears the timer) if `signal` aborts. */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    checkMs(ms, false);
    throwIfAborted(signal);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortErrorFor(signal as AbortSignal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Per-call limits of an operation that waits: a time limit and a caller's signal. */
export interface OperationOptions {
  /** Aborting rejects the call with AbortError (the signal's reason as `cause`). */
  signal?: AbortSignal;
  /** Time limit in ms (Infinity: none); past it the call rejects with TimeoutError. */
  timeoutMs?: number;
}

/**
 * Runs `run` under a time limit and any number of signals (a call's own and its owner's
 * defaults). Unlike withTimeout, `run` receives a signal of its own that aborts the moment the
 * caller stops waiting (time limit, abort), so the work underneath can cancel itself and
 * release what it holds; its reason is the TimeoutError or AbortError the caller got.
 */
export function cancellable<T>(
  what: string,
  ms: number,
  signals: readonly (AbortSignal | undefined)[],
  run: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  checkMs(ms, true);
  const outer = signals.filter((s): s is AbortSignal => s !== undefined);
  for (const s of outer) throwIfAborted(s);
  const inner = new AbortController();
  return new Promise<T>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const listeners = outer.map((s) => {
      const l = (): void => stop(abortErrorFor(s));
      s.addEventListener('abort', l, { once: true });
      return () => s.removeEventListener('abort', l);
    });
    const cleanup = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      for (const remove of listeners) remove();
    };
    function stop(err: Error): void {
      if (inner.signal.aborted) return;
      cleanup();
      inner.abort(err);
      reject(err);
    }
    if (ms !== Infinity) {
      timer = setTimeout(() => stop(new TimeoutError(`${what} timed out after ${ms} ms`)), ms);
    }
    let p: Promise<T>;
    try {
      p = run(inner.signal);
    } catch (e) {
      p = Promise.reject(e);
    }
    p.then(
      (v) => {
        if (inner.signal.aborted) return;
        cleanup();
        resolve(v);
      },
      (e: unknown) => {
        if (inner.signal.aborted) return;
        cleanup();
        reject(e);
      },
    );
  });
}

/** @internal The work of one operation; `signal` aborts when its caller stops waiting. */
export type Operation<T> = (signal: AbortSignal) => Promise<T>;

/**
 * @internal One call under its own `{ signal, timeoutMs }`, else its owner's defaults (a
 * Central's, a Device's or a Peripheral's `operationTimeoutMs` and signal).
 */
export function runOperation<T>(
  what: string,
  options: OperationOptions,
  owner: { operationTimeoutMs: number; readonly signal?: AbortSignal | undefined },
  run: Operation<T>,
): Promise<T> {
  const ms = options.timeoutMs ?? owner.operationTimeoutMs;
  return cancellable(what, ms, [options.signal, owner.signal], run);
}
