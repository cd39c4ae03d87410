// The README's command-line examples, run as pasted: the block that serves the shipped example
// spec on hci1 is read from README.md, `blekit serve` starts first, and every other line of the
// block runs against it from hci0. A README edit that breaks a line breaks this test.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { assertInLab, HCI1_ADDR, run, type ProcResult } from '../../support/proc.js';
import { blekitBin } from '../../support/bin.js';
import { forgetPeers } from '../peripheral/support.js';
import { whileReadvertising } from '../cli/support.js';

const root = fileURLToPath(new URL('../../../../', import.meta.url));

/** The lines of the README's sh block that serves the example spec, comments removed. */
function readmeCliLines(): string[][] {
  const readme = readFileSync(`${root}README.md`, 'utf8');
  const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1] as string);
  const block = blocks.find((b) => /^blekit serve examples\//m.test(b));
  assert.ok(block, 'README has no sh block with `blekit serve examples/...`');
  return block
    .split('\n')
    .map((l) => l.replace(/\s+#.*$/, '').trim())
    .filter((l) => l.startsWith('blekit '))
    .map((l) => {
      // Run without a shell: a line that needs one (quotes, pipes, $) is not supported here.
      assert.doesNotMatch(l, /["'|$;&<>`]/, `README line needs a shell: ${l}`);
      return l.split(/\s+/).slice(1);
    });
}

function show(r: ProcResult): string {
  return `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
}

test("the README's command-line examples run as written against the shipped spec", async (t) => {
  assertInLab();
  await forgetPeers();
  const lines = readmeCliLines();
  const serveArgs = lines.find((a) => a[0] === 'serve');
  assert.ok(serveArgs);
  const others = lines.filter((a) => a !== serveArgs);
  const used = new Set(others.map((a) => a[0]));
  for (const c of ['scan', 'info', 'read', 'write', 'notify']) assert.ok(used.has(c), c);

  const server = spawn(process.execPath, [blekitBin, ...serveArgs], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let served = '';
  server.stdout.on('data', (b: Buffer) => (served += b.toString()));
  server.stderr.on('data', (b: Buffer) => (served += b.toString()));
  const exited = new Promise<number | null>((r) => server.on('close', (c) => r(c)));
  t.after(async () => {
    if (server.exitCode === null) server.kill('SIGINT');
    await exited;
  });
  const deadline = Date.now() + 60_000;
  while (!/serving on hci1/.test(served)) {
    assert.equal(server.exitCode, null, `serve exited: ${served}`);
    assert.ok(Date.now() < deadline, `serve not ready in 60 s: ${served}`);
    await new Promise((r) => setTimeout(r, 250));
  }

  for (const args of others) {
    const label = `blekit ${args.join(' ')}`;
    const go = () => run(process.execPath, [blekitBin, ...args], 90_000);
    // btvirt reports an advertiser once per enable; re-announcing keeps a late scan fed.
    const r = args[0] === 'scan' ? await whileReadvertising(go) : await go();
    assert.equal(r.code, 0, `${label}\n${show(r)}`);
    const out = r.stdout;
    switch (args[0]) {
      case 'scan':
        assert.ok(out.includes(HCI1_ADDR), `${label} did not see the server\n${show(r)}`);
        break;
      case 'info':
        assert.match(out, /180d/i, `${label}\n${show(r)}`);
        assert.match(out, /6e400002-b5a3-f393-e0a9-e50e24dcca9e/i, `${label}\n${show(r)}`);
        break;
      case 'read':
        // The spec's battery level is 87 %.
        assert.match(out, /\b87\b/, `${label}\n${show(r)}`);
        break;
      case 'notify': {
        const values = out.trim().split('\n').filter(Boolean);
        assert.equal(values.length, 5, `${label}\n${show(r)}`);
        for (const v of values) assert.doesNotThrow(() => JSON.parse(v), v);
        break;
      }
      case 'write': {
        // A write command has no answer: the value read back proves it arrived.
        const [, address, uuid, hex] = args as [string, string, string, string];
        const back = await run(process.execPath, [blekitBin, 'read', address, uuid, '--json']);
        assert.equal(back.code, 0, show(back));
        assert.match(back.stdout, new RegExp(hex, 'i'), `read back after ${label}\n${show(back)}`);
        break;
      }
    }
  }
  server.kill('SIGINT');
  assert.equal(await exited, 0, `serve did not stop cleanly: ${served}`);
});
