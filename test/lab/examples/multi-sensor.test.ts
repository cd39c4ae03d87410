// examples/multi-sensor-central.ts, run as a user would: it scans for heart-rate sensors, connects
// to every one (one `blekit serve` of the shipped spec per controller besides hci0), streams them
// all, and Ctrl-C (SIGINT) must stop the streams, disconnect and exit 0 with per-sensor counts.
// With the lab's two controllers that is one sensor; `lab run -n 3` (or more) gives several.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { assertInLab } from '../../support/proc.js';
import { FIXTURE, serve, until, type Served } from '../cli/support.js';
import { forgetPeers } from '../peripheral/support.js';
import { orAfter } from '../../support/within.js';

const example = fileURLToPath(
  new URL('../../../examples/multi-sensor-central.js', import.meta.url),
);

test('the multi-sensor example streams every sensor it finds and stops cleanly on SIGINT', async (t) => {
  assertInLab();
  await forgetPeers();
  const sensors = readdirSync('/sys/class/bluetooth')
    .filter((n) => /^hci\d+$/.test(n) && n !== 'hci0')
    .sort();
  assert.ok(sensors.length >= 1, 'needs a controller besides hci0');

  // The example scans first and the sensors start after: btvirt reports an advertiser only when
  // its advertising is enabled, so a scan started later could miss it. Starting a served
  // peripheral took over 30 s on a loaded host, hence the long scan.
  const child = spawn(
    process.execPath,
    [example, '--devices', String(sensors.length), '--scan-seconds', '300'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const exited = new Promise<number | null>((r) => child.on('close', (c) => r(c)));
  const served: Served[] = [];
  t.after(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    for (const s of served) await s.stop();
  });
  const show = () => `stdout:\n${out}\nstderr:\n${err}`;
  await until(() => /scanning for/.test(out) || child.exitCode !== null, 60_000, 'the scan');
  for (const hci of sensors) served.push(await serve(FIXTURE, hci));

  await until(() => /streaming from/.test(out) || child.exitCode !== null, 240_000, 'streaming');
  assert.match(out, new RegExp(`streaming from ${sensors.length} sensors`), show());
  // Two measurements from every sensor (the spec sends one every 0.5 s), then Ctrl-C.
  const addresses = [...out.matchAll(/^connected (\S+)$/gm)].map((m) => m[1] as string);
  assert.equal(addresses.length, sensors.length, show());
  const perSensor = (a: string) => out.split(`${a} heart rate `).length - 1;
  await until(() => addresses.every((a) => perSensor(a) >= 2), 30_000, 'measurements');
  child.kill('SIGINT');
  const code = await orAfter(exited, 30_000, () => 'still running 30 s after SIGINT');
  assert.equal(code, 0, show());
  for (const a of addresses) {
    const total = new RegExp(`^${a}: (\\d+) measurements$`, 'm').exec(out);
    assert.ok(total, `no total for ${a}\n${show()}`);
    assert.ok(Number(total[1]) >= 2, show());
  }
  // Each served peripheral saw its central leave.
  for (const s of served) {
    await until(() => s.events.some((e) => e.event === 'disconnect'), 15_000, 'disconnect');
  }
});
