// The README's snippets, run as pasted (examples/readme/*.ts, which test/unit/readme.test.ts
// keeps equal to the README), against each other: the peripheral snippet on hci1, a central
// snippet on hci0. The central snippet must read the advertised battery level, and the central
// pairing snippet must pair through its own agent (the peripheral's is not the default one).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { getProperty, openSystemBus } from '../../../src/bluez/calls.js';
import { HCI1_ADDR, assertInLab } from '../../support/proc.js';
import { forgetPeers } from '../peripheral/support.js';

const examples = join(fileURLToPath(import.meta.url), '..', '..', '..', '..', 'examples', 'readme');
const T = { timeout: 240_000 };
const ESC = String.fromCharCode(27);

interface Child {
  out: () => string;
  err: () => string;
  exited: Promise<number | null>;
  kill(): void;
  /** Resolves once a gated snippet has loaded its modules. */
  loaded(): Promise<void>;
  release(): void;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Starts a snippet; `gated` holds it back, its modules loaded, until release(). */
function start(name: string, gated = false): Child {
  const gate = ['--import', fileURLToPath(new URL('snippet-gate.js', import.meta.url))];
  const child = spawn(process.execPath, [...(gated ? gate : []), join(examples, `${name}.js`)], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  return {
    // The VM's console is a terminal, so console.log colours numbers.
    out: () => out.replace(new RegExp(`${ESC}\\[[0-9;]*m`, 'g'), ''),
    err: () => err,
    exited,
    kill: () => child.kill('SIGINT'),
    loaded: async () => {
      const t0 = Date.now();
      while (!err.includes('snippet-gate: loaded')) {
        if (child.exitCode !== null) assert.fail(`${name} ended while loading: ${err}`);
        if (Date.now() - t0 > 120_000) assert.fail(`${name} did not load within 120 s`);
        await sleep(100);
      }
    },
    release: () => child.stdin.end('go\n'),
  };
}

/**
 * Runs a central snippet against the peripheral snippet and resolves to the central's output.
 * btvirt sends one advertising report when advertising is enabled, so the peripheral advertises
 * only once the central's scan is running (hci0 Discovering), or the report can be lost; and as
 * loading its modules takes longer in the VM than the central's 5 s scan, it loads first, held
 * back by the gate.
 */
async function runAgainstPeripheral(centralName: string): Promise<string> {
  await forgetPeers();
  const peripheral = start('peripheral', true);
  let central: Child | undefined;
  const bus = await openSystemBus();
  try {
    await peripheral.loaded();
    central = start(centralName);
    const t0 = Date.now();
    let exited = false;
    void central.exited.then(() => (exited = true));
    while (!(await getProperty(bus, '/org/bluez/hci0', 'org.bluez.Adapter1', 'Discovering'))) {
      if (exited) assert.fail(`${centralName} ended before scanning: ${central.err()}`);
      if (Date.now() - t0 > 120_000) assert.fail(`${centralName} did not start scanning`);
      await sleep(100);
    }
    console.log(`# ${centralName} scanning after ${Date.now() - t0} ms`);
    peripheral.release();
    const code = await central.exited;
    console.log(`# ${centralName} done ${Date.now() - t0} ms after it started`);
    assert.equal(code, 0, `${centralName}: ${central.err()}\nperipheral: ${peripheral.err()}`);
    return central.out();
  } finally {
    bus.close();
    central?.kill();
    peripheral.kill();
    await peripheral.exited;
  }
}

test("the README's central snippet reads the README's peripheral snippet", T, async () => {
  assertInLab();
  const out = await runAgainstPeripheral('central');
  assert.match(out, /^battery 100 %$/m);
});

// Last: pairing leaves bluetoothd's state changed for later connections (see LAB.md).
test("the README's central pairing snippet pairs with the peripheral snippet", T, async () => {
  assertInLab();
  const out = await runAgainstPeripheral('central-pairing');
  assert.match(out, new RegExp(`^paired with ${HCI1_ADDR}$`, 'm'));
  const bus = await openSystemBus();
  try {
    const dev = `/org/bluez/hci0/dev_${HCI1_ADDR.replace(/:/g, '_')}`;
    assert.equal(await getProperty(bus, dev, 'org.bluez.Device1', 'Paired'), true);
  } finally {
    bus.close();
  }
});
