// Central.registerAgent: only where bluetoothd does the pairing, input checked before any I/O.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BgapiBackend } from '../../../src/backends/bgapi/index.js';
import { DbusBackend } from '../../../src/backends/dbus/index.js';
import { GatttoolBackend } from '../../../src/backends/gatttool/index.js';
import { Central } from '../../../src/central/central.js';
import { BackendError, InvalidArgumentError, NotSupportedError } from '../../../src/core/index.js';
import { FakeBackend } from './fake-backend.js';

test('backends that pair through bluetoothd take BlueZ agents; the others do not', () => {
  assert.equal(new DbusBackend().capabilities.bluezAgents, true);
  assert.equal(new GatttoolBackend().capabilities.bluezAgents, true);
  assert.equal(new BgapiBackend().capabilities.bluezAgents, false);
});

test('registerAgent on a backend without BlueZ agents is NotSupportedError', async () => {
  const central = new Central({ backend: new FakeBackend() });
  await assert.rejects(central.registerAgent({ onConfirm: () => true }), NotSupportedError);
  await central.stop();
});

test('registerAgent refuses bad options before touching the bus, and a missing bus is typed', async (t) => {
  const backend = new FakeBackend();
  Object.assign(backend.capabilities, { bluezAgents: true });
  const central = new Central({ backend });
  await assert.rejects(
    central.registerAgent({ capability: 'Telepathy' as never }),
    InvalidArgumentError,
  );
  const saved = process.env.DBUS_SYSTEM_BUS_ADDRESS;
  t.after(() => {
    if (saved === undefined) delete process.env.DBUS_SYSTEM_BUS_ADDRESS;
    else process.env.DBUS_SYSTEM_BUS_ADDRESS = saved;
  });
  process.env.DBUS_SYSTEM_BUS_ADDRESS = 'unix:path=/nonexistent/blekit-test-bus';
  await assert.rejects(central.registerAgent(), BackendError);
  await central.stop();
});
