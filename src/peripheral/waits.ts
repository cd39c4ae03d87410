import { runOperation, type OperationOptions } from '../core/abort.js';
import { BLUEZ_CALL_TIMEOUT_MS } from '../bluez/names.js';

/** A Peripheral's default for calls that set no `timeoutMs`: a BlueZ D-Bus call's own limit. */
export const DEFAULT_PERIPHERAL_OPERATION_MS = BLUEZ_CALL_TIMEOUT_MS;

/**
 * Runs a registration under the call's `{ signal, timeoutMs }` and the peripheral's defaults.
 * bluetoothd goes on with a request its caller stopped waiting for, so when the registration
 * completes after the caller got its AbortError or TimeoutError, `undo` takes it back then:
 * nothing stays registered that the caller was told failed.
 */
export function undoable<T>(
  what: string,
  call: OperationOptions,
  owner: { operationTimeoutMs: number; signal?: AbortSignal | undefined },
  run: () => Promise<T>,
  undo: (made: T) => Promise<unknown>,
): Promise<T> {
  let gaveUp = false;
  return runOperation(what, call, owner, (signal) => {
    signal.addEventListener('abort', () => (gaveUp = true), { once: true });
    const p = run();
    p.then(
      (made) => {
        if (gaveUp) void undo(made).catch(() => undefined);
      },
      () => undefined,
    );
    return p;
  });
}
