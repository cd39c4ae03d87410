// `blekit mgmt` in the lab: a command's JSON reply and the monitor's NDJSON stream.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { before, test } from 'node:test';
import { Mgmt } from '../../../src/mgmt/index.js';
import { assertInLab, HCI1_ADDR, run } from '../../support/proc.js';
import { btmgmtInfo } from './support.js';
import { blekitBin } from '../../support/bin.js';

const cli = blekitBin;
/** One CLI call: node starts and loads blekit slowly in the emulated VM, more so under load. */
const CLI_MS = 120_000;

before(assertInLab);

test('blekit mgmt ReadControllerInformation --index 1 prints the reply as JSON', async () => {
  const r = await run(
    process.execPath,
    [cli, 'mgmt', 'ReadControllerInformation', '--index', '1'],
    CLI_MS,
  );
  assert.equal(r.code, 0, r.stderr);
  const reply = JSON.parse(r.stdout) as {
    address: string;
    name: string;
    currentSettings: string[];
  };
  assert.equal(reply.address, HCI1_ADDR);
  assert.equal(reply.name, (await btmgmtInfo(1)).name);
  assert.ok(reply.currentSettings.includes('powered'));
});

test('blekit mgmt with a bad parameter fails before touching the kernel', async () => {
  const r = await run(
    process.execPath,
    [cli, 'mgmt', 'SetPowered', '--index', '1', '--power', 'on'],
    CLI_MS,
  );
  assert.equal(r.code, 2, "the CLI's exit code for bad input");
  assert.match(r.stderr, /no parameter "power"/);
});

test('blekit mgmt monitor streams NDJSON events until interrupted', async () => {
  const child = spawn(process.execPath, [cli, 'mgmt', 'monitor', '--index', '1'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  const listening = new Promise<void>((resolve, reject) => {
    let err = '';
    const t = setTimeout(() => reject(new Error(`monitor never said it listens: ${err}`)), CLI_MS);
    child.stderr.on('data', (b: Buffer) => {
      err += b.toString();
      if (err.includes('listening')) {
        clearTimeout(t);
        resolve();
      }
    });
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  const kill = setTimeout(() => child.kill('SIGKILL'), CLI_MS + 60_000);
  const mgmt = await Mgmt.open({ timeoutMs: 30_000 });
  try {
    await listening;
    const before = await mgmt.send('ReadControllerInformation', 1);
    const was = before.currentSettings.includes('bondable');
    await mgmt.send('SetBondable', 1, { bondable: !was });
    await mgmt.send('SetBondable', 1, { bondable: was });
    const deadline = Date.now() + 20_000;
    while (!out.includes('"NewSettings"') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    mgmt.close();
    child.kill('SIGINT');
  }
  const code = await exited;
  clearTimeout(kill);
  assert.equal(code, 0, 'monitor exits cleanly on SIGINT');
  const events = out
    .trim()
    .split('\n')
    .filter(Boolean)
    .map(
      (l) =>
        JSON.parse(l) as { name: string; index: number; params: { currentSettings?: string[] } },
    );
  const settings = events.filter((e) => e.name === 'NewSettings');
  assert.ok(settings.length >= 2, out);
  assert.ok(settings.every((e) => e.index === 1));
});
