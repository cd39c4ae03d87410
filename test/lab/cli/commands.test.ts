// Every blekit command against a peripheral started with `blekit serve` on hci1 (client on hci0).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, test } from 'node:test';
import { assertInLab, HCI1_ADDR } from '../../support/proc.js';
import { forgetPeers } from '../peripheral/support.js';
import {
  blekit,
  envelope,
  FIXTURE,
  serve,
  until,
  cli,
  whileReadvertising,
  type Json,
  type Served,
} from './support.js';

const C = ['--adapter', 'hci0', '--json'];
let served: Served | undefined;

before(assertInLab);

after(async () => {
  if (served) assert.equal(await served.stop(), 0, `serve exit: ${served.stderr()}`);
});

test('scan --json finds the served peripheral (scan first, then the peripheral advertises)', async () => {
  const child = spawn(
    process.execPath,
    [cli, 'scan', '--timeout', '150', '--name', 'blekit-hr', ...C],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const exited = new Promise<number | null>((r) => child.on('close', r));
  // Generous limits: on a loaded host the emulated VM took over 30 s just to start the scan.
  const kill = setTimeout(() => child.kill('SIGKILL'), 180_000);
  try {
    await until(() => err.includes('scanning'), 90_000, 'the scan to start').catch((e: Error) => {
      throw new Error(`${e.message}; scan stderr so far: ${JSON.stringify(err)}`);
    });
    await new Promise((r) => setTimeout(r, 2000));
    served = await serve(FIXTURE);
    await until(() => out.includes(HCI1_ADDR), 40_000, 'a report from hci1');
    child.kill('SIGINT');
    assert.equal(await exited, 0, err);
  } finally {
    clearTimeout(kill);
    child.kill('SIGKILL');
  }
  const records = out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const mine = records.find((r) => r.address === HCI1_ADDR);
  assert.equal(mine.name, 'blekit-hr');
  assert.ok(
    mine.serviceUuids.includes('0000180d-0000-1000-8000-00805f9b34fb'),
    JSON.stringify(mine),
  );
  assert.ok(
    records.every((r) => (r.name ?? '').includes('blekit-hr')),
    'the --name filter holds',
  );
  assert.match(err, /scan done: \d+ device/);
});

async function served1(): Promise<void> {
  served ??= await serve(FIXTURE);
}

test('info --json shows the served GATT tree with names, properties and descriptors', async () => {
  await served1();
  const r = await blekit(['info', HCI1_ADDR, ...C]);
  assert.equal(r.code, 0, r.stderr);
  const { result, value } = envelope(r);
  assert.equal(result, 'ok');
  const byUuid = new Map<string, Json>(value.services.map((s: Json) => [s.uuid.slice(4, 8), s]));
  assert.equal(byUuid.get('180d')?.name, 'Heart Rate');
  const hrm = byUuid.get('180d').characteristics.find((c: Json) => c.uuid.startsWith('00002a37'));
  assert.deepEqual(hrm.properties, ['notify']);
  assert.equal(hrm.name, 'Heart Rate Measurement');
  assert.ok(
    hrm.descriptors.some((d: Json) => d.uuid.startsWith('00002902')),
    'CCCD listed',
  );
  const custom = value.services.find(
    (s: Json) => s.uuid === '6e400001-b5a3-f393-e0a9-e50e24dcca9e',
  );
  const pad = custom.characteristics[0];
  assert.deepEqual(pad.properties, ['read', 'write-without-response', 'write']);
  assert.ok(pad.descriptors.some((d: Json) => d.name === 'Characteristic User Description'));
  assert.ok(pad.valueHandle > pad.handle);
  // The human form carries the same tree.
  const text = await blekit(['info', HCI1_ADDR, '--adapter', 'hci0']);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /service 180f Battery/);
  assert.match(text.stdout, /2a19 Battery Level {2}\[read, notify\]/);
});

test('read: SIG decoding, by UUID, SERVICE/CHAR and handle, in every format', async () => {
  await served1();
  const bat = envelope(await blekit(['read', HCI1_ADDR, '2a19', ...C]));
  assert.equal(bat.result, 'ok');
  assert.equal(bat.value.hex, '57');
  assert.deepEqual(bat.value.decoded, { format: 'Battery Level', value: 87, text: '87 %' });
  const loc = envelope(await blekit(['read', HCI1_ADDR, '180d/2a38', ...C]));
  assert.equal(loc.value.decoded.text, 'Chest');
  const byHandle = await blekit([
    'read',
    HCI1_ADDR,
    '0x' + bat.value.handle.toString(16).padStart(4, '0'),
    '--adapter',
    'hci0',
  ]);
  assert.equal(byHandle.code, 0, byHandle.stderr);
  assert.equal(byHandle.stdout, '57  (Battery Level: 87 %)\n');
  const b64 = await blekit(['read', HCI1_ADDR, '2a19', '--base64', '--adapter', 'hci0']);
  assert.equal(b64.stdout, 'Vw==\n');
});

test('write with and without response, read back', async () => {
  await served1();
  const pad = '6e400002-b5a3-f393-e0a9-e50e24dcca9e';
  const w = envelope(await blekit(['write', HCI1_ADDR, pad, 'hi there', '--utf8', ...C]));
  assert.equal(w.result, 'ok');
  assert.equal(w.value.bytes, 8);
  const r1 = await blekit(['read', HCI1_ADDR, pad, '--utf8', '--adapter', 'hci0']);
  assert.equal(r1.stdout, 'hi there\n');
  const w2 = envelope(await blekit(['write', HCI1_ADDR, pad, '01:02:03', '--no-response', ...C]));
  assert.equal(w2.value.withResponse, false);
  const r2 = envelope(await blekit(['read', HCI1_ADDR, pad, ...C]));
  assert.equal(r2.value.hex, '010203');
  assert.ok(served?.events.some((e) => e.event === 'write' && e.hex === '010203'));
});

test('notify --count prints decoded heart rate values; --indicate gets temperatures', async () => {
  await served1();
  const r = await blekit(['notify', HCI1_ADDR, '2a37', '--count', '3', '--timeout', '60', ...C]);
  assert.equal(r.code, 0, r.stderr);
  const values = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.equal(values.length, 3);
  for (const v of values) {
    assert.ok(!Number.isNaN(Date.parse(v.timestamp)));
    assert.equal(v.decoded.format, 'Heart Rate Measurement');
    assert.ok(v.decoded.value.bpm >= 60 && v.decoded.value.bpm <= 180, JSON.stringify(v));
    assert.equal(v.hex, '00' + v.decoded.value.bpm.toString(16).padStart(2, '0'));
  }
  assert.match(r.stderr, /3 values received/);
  const t = await blekit([
    'notify',
    HCI1_ADDR,
    '2a1c',
    '--indicate',
    '--count',
    '2',
    '--timeout',
    '60',
    ...C,
  ]);
  assert.equal(t.code, 0, t.stderr);
  const temps = t.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l).decoded.value.temperature);
  assert.equal(temps.length, 2);
  for (const x of temps) assert.ok(x === 36.5 || x === 36.6, String(x));
});

test('bad input: documented exit codes and one-line messages', async () => {
  await served1();
  const addr = await blekit(['read', '00:AA:01:01:00', '2a19', ...C]);
  assert.equal(addr.code, 2);
  assert.equal(addr.stderr, 'blekit: Invalid Bluetooth address: "00:AA:01:01:00"\n');
  assert.equal(envelope(addr).result, 'error');
  const uuid = await blekit(['read', HCI1_ADDR, '2a1', ...C]);
  assert.equal(uuid.code, 2);
  assert.match(uuid.stderr, /^blekit: Invalid characteristic "2a1"/);
  // The connecting commands below must find hci1 even when hci0's bluetoothd has forgotten it
  // (it does 30 s after the last contact, which a slow VM reaches between two tests).
  await forgetPeers();
  const unknown = await whileReadvertising(() => blekit(['read', HCI1_ADDR, 'ffe1', ...C]));
  assert.equal(unknown.code, 3, unknown.stderr);
  assert.equal(unknown.stderr, 'blekit: No characteristic 0000ffe1-0000-1000-8000-00805f9b34fb\n');
  assert.equal(envelope(unknown).reason, 'No characteristic 0000ffe1-0000-1000-8000-00805f9b34fb');
  const value = await blekit(['write', HCI1_ADDR, '2a19', '12g4', ...C]);
  assert.equal(value.code, 2);
  assert.equal(value.stderr, 'blekit: Invalid hex: "12g4"\n');
  // BlueZ refuses a write to a read-only characteristic: an ATT error or a permission error.
  const notPermitted = await blekit(['write', HCI1_ADDR, '2a19', '01', ...C]);
  assert.ok(
    [5, 7].includes(notPermitted.code ?? -1),
    `write to a read-only value: ${notPermitted.code} ${notPermitted.stderr}`,
  );
  assert.match(notPermitted.stderr, /not permitted|NotPermitted|0x03/i);
  assert.equal(notPermitted.stderr.split('\n').length, 2, 'one line');
});

test('doctor --json: bluetoothd, both adapters powered, nothing failing', async () => {
  const r = await blekit(['doctor', '--json']);
  const checks = envelope(r).value as { name: string; status: string; detail: string }[];
  const by = (n: string) => checks.find((c) => c.name === n);
  assert.equal(by('bluetoothd')?.status, 'ok');
  assert.match(by('bluetoothd')?.detail ?? '', /running, BlueZ 5\.\d+/);
  assert.equal(by('D-Bus access')?.status, 'ok');
  assert.equal(by('adapters')?.detail, 'hci0, hci1');
  assert.equal(by('hci0 powered')?.status, 'ok');
  assert.equal(by('hci1 powered')?.status, 'ok');
  assert.equal(by('rfkill')?.status, 'ok');
  assert.equal(by('gatttool')?.status, 'ok');
  assert.equal(r.code, 0, JSON.stringify(checks.filter((c) => c.status === 'fail')));
});
