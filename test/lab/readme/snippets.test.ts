// The README's central and peripheral snippets, run as pasted (examples/readme/*.ts, which
// test/unit/readme.test.ts keeps equal to the README), against each other: the peripheral on
// hci1, the central on hci0. The central must find the advertised battery and read its level.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { assertInLab, run } from '../../support/proc.js';
import { forgetPeers } from '../peripheral/support.js';

const examples = join(fileURLToPath(import.meta.url), '..', '..', '..', '..', 'examples', 'readme');

test("the README's central snippet reads the README's peripheral snippet", async (t) => {
  assertInLab();
  await forgetPeers();
  const peripheral = spawn(process.execPath, [join(examples, 'peripheral.js')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let perr = '';
  peripheral.stderr.on('data', (b: Buffer) => (perr += b.toString()));
  const exited = new Promise<number | null>((r) => peripheral.on('exit', (c) => r(c)));
  t.after(async () => {
    peripheral.kill('SIGINT');
    await exited;
  });
  // The snippet advertises once its service and agent are registered; give BlueZ that time.
  await new Promise((r) => setTimeout(r, 4000));
  const central = await run(process.execPath, [join(examples, 'central.js')], 60_000);
  assert.equal(central.code, 0, `central: ${central.stderr}\nperipheral: ${perr}`);
  // The VM's console is a terminal, so console.log colours the number.
  const plain = central.stdout.replace(
    new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g'),
    '',
  );
  assert.match(plain, /^battery 100 %$/m);
});
