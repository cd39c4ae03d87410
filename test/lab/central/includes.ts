// Included services (issue 17 item 2), the same checks on every backend: against BlueZ's
// example-gatt-server with --includes, primary 0xc030 includes secondary 0xc040 and primary
// 0xc050, and each service of the result names what it includes, with the handles the service
// list has for them.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CentralBackend } from '../../../src/central/backend.js';
import { exampleSession } from './example-session.js';

const T = { timeout: 240_000 };
const u = (n: number): string => `0000${n.toString(16)}-b1e0-4000-8000-626c656b6974`;

/** `exactDeclarations`: the backend knows the Include declarations' own handles (ATT does). */
export function includedServicesSuite(
  name: string,
  backend: () => CentralBackend,
  exactDeclarations: boolean,
): void {
  describe(`included services: ${name}`, () => {
    const session = exampleSession(['--includes'], backend);

    test('a service lists the services it includes, with their handles', T, async () => {
      const device = session.device();
      const services = await device.discover();
      const find = (n: number) => {
        const s = services.find((x) => x.uuid === u(n));
        assert.ok(s, `no ${u(n)} in ${services.map((x) => x.uuid).join(', ')}`);
        return s;
      };
      const including = find(0xc030);
      const secondary = find(0xc040);
      const other = find(0xc050);
      assert.equal(secondary.primary, false);
      assert.deepEqual(
        including.includes.map((i) => [i.uuid, i.startHandle]),
        [
          [secondary.uuid, secondary.startHandle],
          [other.uuid, other.startHandle],
        ].sort((a, b) => (a[1] as number) - (b[1] as number)),
      );
      for (const inc of including.includes) {
        const target = inc.uuid === secondary.uuid ? secondary : other;
        // D-Bus gives no end handle; there it is the last handle the service holds.
        assert.equal(inc.endHandle, target.endHandle, `end handle of ${inc.uuid}`);
        if (exactDeclarations) {
          assert.ok(
            inc.handle !== undefined &&
              inc.handle > including.startHandle &&
              inc.handle < (including.characteristics[0]?.handle ?? including.endHandle + 1),
            `declaration handle ${inc.handle} right after the service declaration`,
          );
        }
      }
      assert.deepEqual(secondary.includes, []);
      assert.deepEqual(other.includes, []);
      // The included secondary service is usable through the include.
      assert.equal((await device.read(u(0xc041))).toString(), 'in an included service');
    });
  });
}
