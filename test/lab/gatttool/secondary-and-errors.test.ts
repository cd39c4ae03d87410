// The gatttool backend against BlueZ's example-gatt-server with extras (issue 17): a
// characteristic in a secondary service is reached (gatttool's `primary` never lists it), and
// the peer's ATT errors 0x81 (which BlueZ 5.66's gatttool spells "A timeout occurred") and 0x9f
// (which it prints as "Unexpected error code") arrive as AttError, not BackendError.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GatttoolBackend } from '../../../src/backends/gatttool/index.js';
import { AttError, UNKNOWN_ATT_CODE } from '../../../src/core/index.js';
import { exampleSession } from '../central/example-session.js';

const T = { timeout: 240_000 };
const u = (n: number): string => `0000${n.toString(16)}-b1e0-4000-8000-626c656b6974`;
const session = exampleSession(
  ['--extras'],
  () => new GatttoolBackend({ logFile: '/tmp/blekit-gatttool-secondary.log' }),
);

test('a characteristic in a secondary service is discovered and read', T, async () => {
  const services = await session.device().discover();
  const secondary = services.find((s) => s.uuid === u(0xc010));
  assert.ok(secondary, `no secondary service in ${services.map((s) => s.uuid).join(', ')}`);
  assert.equal(secondary.primary, false);
  assert.deepEqual(
    secondary.characteristics.map((c) => c.uuid),
    [u(0xc011)],
  );
  const value = await session.device().read(u(0xc011));
  assert.equal(value.toString(), 'in a secondary service');
  // The primary services are unchanged by it.
  assert.ok(services.some((s) => s.uuid === u(0xc000) && s.primary));
});

test('ATT 0x81 from the peer is AttError 0x81', T, async () => {
  await assert.rejects(session.device().read(u(0xc021)), (e: unknown) => {
    assert.ok(e instanceof AttError, String(e));
    assert.equal(e.attCode, 0x81);
    return true;
  });
});

test(
  'ATT 0x9f, which gatttool prints without its code, is AttError of unknown code',
  T,
  async () => {
    await assert.rejects(session.device().read(u(0xc022)), (e: unknown) => {
      assert.ok(e instanceof AttError, String(e));
      assert.equal(e.attCode, UNKNOWN_ATT_CODE);
      assert.match(e.message, /Unexpected error code/);
      return true;
    });
    // The link survives the error.
    assert.equal((await session.device().read(u(0xc011))).toString(), 'in a secondary service');
  },
);
