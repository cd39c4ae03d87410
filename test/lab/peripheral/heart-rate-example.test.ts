// Runs examples/heart-rate-peripheral on hci1 and reads it from hci0 with bleak.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { before, test } from 'node:test';
import { assertInLab, HCI1_ADDR } from '../../support/proc.js';
import { forgetPeers, runClient, waitClean } from './support.js';
import { orAfter } from '../../support/within.js';

const EXAMPLE = fileURLToPath(
  new URL('../../../examples/heart-rate-peripheral.js', import.meta.url),
);

before(async () => {
  assertInLab();
  await forgetPeers();
});

test(
  'the heart-rate example notifies measurements a central receives',
  { timeout: 300_000 },
  async () => {
    // btvirt reports once per advertising enable and the example advertises once: the
    // central must be scanning before the example starts.
    const client = runClient('heart_rate.py', [HCI1_ADDR, '5'], 240_000);
    await new Promise((r) => setTimeout(r, 4000));
    const ex = spawn(
      process.execPath,
      ['--trace-uncaught', EXAMPLE, '--adapter', 'hci1', '--interval', '300', '--count', '400'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let log = '';
    ex.stdout.on('data', (b: Buffer) => (log += b.toString()));
    ex.stderr.on('data', (b: Buffer) => (log += b.toString()));
    const exited = new Promise<number | null>((r) => ex.on('close', (code) => r(code)));
    try {
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`example not ready: ${log}`)), 60_000);
        ex.stdout.on('data', () => {
          if (log.includes('ready on hci1')) {
            clearTimeout(t);
            resolve();
          }
        });
      });
      const { code, stderr } = await client.done;
      assert.equal(code, 0, stderr + log);
      const res = client.lines.find((l) => 'measurements' in l) as {
        measurements: string[];
        location: string;
      };
      assert.equal(res.measurements.length, 5);
      for (const m of res.measurements) {
        const b = Buffer.from(m, 'hex');
        assert.equal(b.length, 2);
        assert.equal(b[0], 0x00, 'flags: 8-bit value');
        assert.ok(b[1]! >= 60 && b[1]! < 120, m);
      }
      assert.equal(res.location, '01');
      assert.match(log, /connected 00:AA:01:00:00:00/);
      assert.match(log, /subscribed 00002a37/);
    } finally {
      // The example cleans up on SIGTERM (unregisters everything) and then exits by the signal.
      ex.kill('SIGTERM');
    }
    const code = await orAfter(exited, 30_000, () => 'hung');
    assert.notEqual(code, 'hung', log);
    await forgetPeers();
    const dirty = await waitClean();
    assert.equal(dirty, undefined, dirty);
  },
);
