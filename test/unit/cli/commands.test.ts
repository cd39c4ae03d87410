// The commands end to end in-process, over the fake backend the central tests use.
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { registerBackend } from '../../../src/cli/backends.js';
import { programFor } from '../../../src/cli/program.js';
import { emptyAdvertisingData } from '../../../src/core/index.js';
import { FakeBackend } from '../central/fake-backend.js';

const ADDR = '00:AA:01:01:00:01';
let backend = new FakeBackend();
registerBackend('dbus', async () => () => backend);

afterEach(() => {
  backend = new FakeBackend();
  process.exitCode = 0;
});

async function cli(args: string[], during?: () => Promise<void>) {
  let stdout = '';
  let stderr = '';
  const program = await programFor(['node', 'blekit', ...args], {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
  });
  process.exitCode = 0;
  try {
    const run = program.parseAsync(['node', 'blekit', ...args]);
    if (during) await during();
    await run;
  } catch (e) {
    if ((e as { code?: string }).code?.startsWith('commander.')) process.exitCode = 2;
    else stderr += `THROWN ${String(e)}`;
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { code, stdout, stderr };
}

async function until(check: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('read: the envelope with hex and the SIG decoding; by handle too', async () => {
  // Each run connects anew: every new connection holds the value to read.
  const connect = backend.connect.bind(backend);
  backend.connect = async (...a) => {
    const c = await connect(...a);
    c.values.set(0x15, Buffer.from([1]));
    return c;
  };
  const during = undefined;
  const r = await cli(['read', ADDR, '2a38', '--json', '--timeout', '5'], during);
  // 2a38 appears in two services of the sample database: the CLI says to use a handle.
  assert.equal(r.code, 2, r.stderr);
  assert.match(JSON.parse(r.stdout).reason, /appears 2 times/);
  const ok = await cli(['read', ADDR, '180d/2a38', '--json'], during);
  assert.equal(ok.code, 0, ok.stderr);
  const v = JSON.parse(ok.stdout);
  assert.equal(v.result, 'ok');
  assert.equal(v.value.hex, '01');
  assert.equal(v.value.handle, 0x15);
  assert.deepEqual(v.value.decoded, {
    format: 'Body Sensor Location',
    value: { code: 1, name: 'Chest' },
    text: 'Chest',
  });
  const human = await cli(['read', ADDR, '0x0015'], during);
  assert.equal(human.stdout, '01  (Body Sensor Location: Chest)\n');
  const utf8 = await cli(['read', ADDR, '0x0015', '--base64'], during);
  assert.equal(utf8.stdout, 'AQ==\n');
});

test('write: parses the value first, then writes with or without response', async () => {
  const bad = await cli(['write', ADDR, '0x0012', 'zz']);
  assert.equal(bad.code, 2);
  assert.equal(bad.stderr, 'blekit: Invalid hex: "zz"\n');
  assert.equal(backend.connectCalls, 0, 'nothing connected for a value that does not parse');
  const r = await cli(['write', ADDR, '0x0012', 'hi', '--utf8', '--no-response', '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).value.withResponse, false);
  assert.ok(backend.connections[0]?.log.includes('write 18 6869 cmd'));
  const conflict = await cli(['write', ADDR, '0x0012', '01', '--utf8', '--hex']);
  assert.equal(conflict.code, 2);
});

test('info: the tree with names; unknown characteristic is "not found" (3)', async () => {
  const r = await cli(['info', ADDR, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const v = JSON.parse(r.stdout).value;
  assert.equal(v.services[0].name, 'Heart Rate');
  assert.deepEqual(v.services[0].characteristics[0].properties, [
    'write-without-response',
    'write',
    'notify',
  ]);
  const missing = await cli(['read', ADDR, 'ffe1']);
  assert.equal(missing.code, 3);
  assert.match(missing.stderr, /^blekit: No characteristic 0000ffe1-/);
  const badAddr = await cli(['info', '00:AA:01']);
  assert.equal(badAddr.code, 2);
  assert.equal(badAddr.stderr, 'blekit: Invalid Bluetooth address: "00:AA:01"\n');
});

test('notify: N values as NDJSON, then unsubscribes; a timeout before N is exit 4', async () => {
  const feed = async (): Promise<void> => {
    await until(() => (backend.connections[0]?.listeners.size ?? 0) > 0);
    const send = backend.connections[0]?.listeners.get(0x12) as (v: Buffer) => void;
    for (const bpm of [70, 71, 72]) send(Buffer.from([0, bpm]));
  };
  const r = await cli(['notify', ADDR, '2a37', '--count', '2', '--json'], feed);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.equal(lines.length, 2);
  assert.deepEqual(
    lines.map((l) => l.decoded.value.bpm),
    [70, 71],
  );
  assert.ok(backend.connections[0]?.log.includes('unsubscribe 18'));
  const slow = await cli(['notify', ADDR, '2a37', '--count', '5', '--timeout', '0.5']);
  assert.equal(slow.code, 4);
  assert.match(slow.stderr, /got 0 of 5 values/);
});

test('scan: NDJSON when piped, filters validated before the scan', async () => {
  const feed = async (): Promise<void> => {
    await until(() => backend.scanning);
    const ad = emptyAdvertisingData();
    ad.localName = 'blekit-hr';
    backend.sink?.({
      address: ADDR,
      addressType: 'public',
      name: 'blekit-hr',
      rssi: -40,
      advertisement: ad,
      timestamp: Date.now(),
    });
    backend.sink?.({
      address: '00:AA:01:01:00:02',
      addressType: 'public',
      name: 'other',
      rssi: -40,
      advertisement: ad,
      timestamp: Date.now(),
    });
  };
  const r = await cli(['scan', '--timeout', '0.3', '--name', 'blekit'], feed);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.deepEqual(
    lines.map((l) => l.address),
    [ADDR],
  );
  assert.match(r.stderr, /scan done: 1 device/);
  const bad = await cli(['scan', '--service', 'nope']);
  assert.equal(bad.code, 2);
  const rssi = await cli(['scan', '--rssi', '-300']);
  assert.equal(rssi.code, 2);
});

test('--debug prints the library trace of every area on stderr, and only with --debug', async () => {
  const quiet = await cli(['read', ADDR, '180d/2a38', '--json']);
  assert.doesNotMatch(quiet.stderr, /\[debug\]/);
  const r = await cli(['read', ADDR, '180d/2a38', '--json', '--debug']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /^\[debug\] blekit:cli backend dbus/m);
  assert.match(r.stderr, /^\[debug\] blekit:central started: fake backend, hci0/m);
  assert.match(r.stderr, /^\[debug\] blekit:central connected to 00:AA:01:01:00:01 in \d+ ms$/m);
  assert.match(r.stderr, /^\[debug\] blekit:central 00:AA:01:01:00:01: disconnect\(\) called$/m);
  // The trace goes back off with the command.
  const after = await cli(['read', ADDR, '180d/2a38', '--json']);
  assert.doesNotMatch(after.stderr, /\[debug\]/);
});
