// Issue 18: with no system bus, Peripheral.open() inside try/catch used to kill the process with
// an unhandled 'error' event. It must reject with a typed error the caller can catch.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { BackendError, BleError, NotSupportedError } from '../../../src/core/errors.js';
import { Peripheral, listAdapters } from '../../../src/peripheral/index.js';

const saved = process.env.DBUS_SYSTEM_BUS_ADDRESS;
after(() => {
  if (saved === undefined) delete process.env.DBUS_SYSTEM_BUS_ADDRESS;
  else process.env.DBUS_SYSTEM_BUS_ADDRESS = saved;
});

test('Peripheral.open() with no system bus rejects with a BackendError, caught by try/catch', async () => {
  process.env.DBUS_SYSTEM_BUS_ADDRESS = 'unix:path=/nonexistent/blekit-test-bus';
  let caught: unknown;
  try {
    await Peripheral.open({ handleSignals: false });
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof BackendError, String(caught));
  assert.match((caught as Error).message, /\/nonexistent\/blekit-test-bus/);
  await assert.rejects(listAdapters(), BackendError);
  // Nothing was left behind to fail later: the process is still here a tick on.
  await new Promise((r) => setImmediate(r));
});

test('a bus address blekit cannot speak rejects with a typed error too', async () => {
  process.env.DBUS_SYSTEM_BUS_ADDRESS = 'unix:abstract=/tmp/dbus-x';
  await assert.rejects(
    Peripheral.open({ handleSignals: false }),
    (e: unknown) => e instanceof NotSupportedError && e instanceof BleError,
  );
});
