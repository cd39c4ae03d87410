// Included services through BGAPI: the emulator lays out Include declarations from the stack's
// database and the backend reads them back (Read By Type 0x2802), 16- and 128-bit UUIDs alike.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Central } from '../../../../src/central/index.js';
import type { ServiceInfo } from '../../../../src/central/types.js';
import { normalizeUuid } from '../../../../src/core/index.js';
import { loopback } from '../../bgapi-emulator/loopback.js';

const PEER = '00:AA:01:01:00:01';
const CUSTOM = '12345678-1234-5678-1234-56789abcdef0';

function service(uuid: string, start: number, end: number, primary: boolean): ServiceInfo {
  return { uuid, primary, startHandle: start, endHandle: end, includes: [], characteristics: [] };
}

test('a primary service lists the services it includes, with their handles', async () => {
  const lb = loopback();
  const battery = service(normalizeUuid(0x180f), 0x50, 0x52, false);
  const custom = service(CUSTOM, 0x60, 0x62, false);
  const main = service(normalizeUuid(0x180d), 0x40, 0x45, true);
  // As over D-Bus: the stack names the included services but not the declarations' handles.
  main.includes = [battery, custom].map((s) => ({
    uuid: s.uuid,
    startHandle: s.startHandle,
    endHandle: s.endHandle,
  }));
  lb.fake.onConnection = (c) => (c.db = [main, battery, custom]);
  const central = new Central({ backend: lb.backend });
  await central.start();
  try {
    const device = await central.connect(PEER, { timeoutMs: 5_000 });
    const services = await device.discover();
    const got = services.find((s) => s.startHandle === 0x40);
    assert.deepEqual(got?.includes, [
      { handle: 0x41, uuid: battery.uuid, startHandle: 0x50, endHandle: 0x52 },
      { handle: 0x42, uuid: CUSTOM, startHandle: 0x60, endHandle: 0x62 },
    ]);
    for (const s of services.filter((x) => x.startHandle !== 0x40)) {
      assert.deepEqual(s.includes, [], `${s.uuid} includes nothing`);
    }
  } finally {
    await central.stop();
  }
});
