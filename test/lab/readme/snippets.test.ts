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
}

function start(name: string): Child {
  const child = spawn(process.execPath, [join(examples, `${name}.js`)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  return {
    // The VM's console is a terminal, so console.log colours numbers.
    out: () => out.replace(new RegExp(`${ESC}\\[[0-9;]*m`, 'g'), ''),
    err: () => err,
    exited: new Promise((r) => child.on('exit', (c) => r(c))),
    kill: () => child.kill('SIGINT'),
  };
}

/**
 * Runs a central snippet against the peripheral snippet and resolves to the central's output.
 * btvirt sends one advertising report when advertising is enabled, so the peripheral starts only
 * once the central's scan is running (hci0 Discovering), or the report can be lost.
 */
async function runAgainstPeripheral(centralName: string): Promise<string> {
  await forgetPeers();
  const central = start(centralName);
  const bus = await openSystemBus();
  let peripheral: Child | undefined;
  try {
    const t0 = Date.now();
    let exited = false;
    void central.exited.then(() => (exited = true));
    while (!(await getProperty(bus, '/org/bluez/hci0', 'org.bluez.Adapter1', 'Discovering'))) {
      if (exited) assert.fail(`${centralName} ended before scanning: ${central.err()}`);
      if (Date.now() - t0 > 120_000) assert.fail(`${centralName} did not start scanning`);
      await new Promise((r) => setTimeout(r, 100));
    }
    console.log(`# ${centralName} scanning after ${Date.now() - t0} ms`);
    peripheral = start('peripheral');
    const code = await central.exited;
    console.log(`# ${centralName} done ${Date.now() - t0} ms after it started`);
    assert.equal(code, 0, `${centralName}: ${central.err()}\nperipheral: ${peripheral.err()}`);
    return central.out();
  } finally {
    bus.close();
    central.kill();
    if (peripheral) {
      peripheral.kill();
      await peripheral.exited;
    }
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
