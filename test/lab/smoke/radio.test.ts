// Proves the lab's radio path with BlueZ's own tools, before blekit's APIs exist.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, test } from 'node:test';
import { assertInLab, btmgmt, HCI0_ADDR, HCI1_ADDR, run } from '../../support/proc.js';

before(assertInLab);
after(async () => {
  await btmgmt(['-i', 'hci1', 'advertising', 'off']);
});

test('the mgmt view shows two powered LE controllers', async () => {
  const out = await btmgmt(['info']);
  const blocks = out.split(/^(?=hci\d+:)/m).filter((b) => b.startsWith('hci'));
  assert.equal(blocks.length, 2, out);
  const addrs = blocks.map((b) => /addr ([0-9A-F:]{17})/.exec(b)?.[1]).sort();
  assert.deepEqual(addrs, [HCI0_ADDR, HCI1_ADDR]);
  for (const b of blocks) {
    const current = /current settings: (.*)/.exec(b)?.[1]?.split(/\s+/) ?? [];
    assert.ok(current.includes('powered'), `not powered: ${b}`);
    assert.ok(current.includes('le'), `not LE: ${b}`);
  }
});

test('hci1 advertises and a scan on hci0 finds it', async () => {
  await btmgmt(['-i', 'hci1', 'connectable', 'on']);
  // btvirt sends one advertising report per enable: scan first, then advertise.
  const scan = spawn('script', ['-qec', 'btmgmt -i hci0 find -l', '/dev/null'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let seen = '';
  const found = new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), 30_000);
    scan.stdout.on('data', (b: Buffer) => {
      seen += b.toString();
      if (seen.includes(HCI1_ADDR)) {
        clearTimeout(timer);
        resolve(true);
      }
    });
    scan.on('close', () => {
      clearTimeout(timer);
      resolve(seen.includes(HCI1_ADDR));
    });
  });
  await new Promise((r) => setTimeout(r, 1500));
  await btmgmt(['-i', 'hci1', 'advertising', 'on']);
  const ok = await found;
  scan.kill('SIGINT');
  assert.ok(ok, `hci0 did not find ${HCI1_ADDR}:\n${seen}`);
});

test('hci0 connects to hci1 and reads the GAP Device Name', async () => {
  await btmgmt(['-i', 'hci1', 'connectable', 'on']);
  await btmgmt(['-i', 'hci1', 'advertising', 'on']);
  // GAP Device Name (0x2a00), read by UUID so the test does not rely on a handle.
  const r = await run(
    'gatttool',
    ['-i', 'hci0', '-b', HCI1_ADDR, '--char-read', '--uuid=0x2a00'],
    60_000,
  );
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const m = /value:\s*([0-9a-f ]+)/i.exec(r.stdout);
  assert.ok(m?.[1], r.stdout);
  const name = Buffer.from(m[1].trim().replace(/\s+/g, ''), 'hex').toString('utf8');
  const info = await btmgmt(['-i', 'hci1', 'info']);
  const expected = /\tname (.*)/.exec(info)?.[1]?.trim();
  assert.ok(expected, info);
  assert.equal(name, expected);
});
