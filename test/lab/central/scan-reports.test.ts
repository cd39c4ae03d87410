// The D-Bus backend surfaces every advertisement bluetoothd announces, also when a peer's
// advertisements follow each other within milliseconds. dbus-python watches bluetoothd's
// signals on its own connection (adv_watch.py): what it sees is the reference.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { withTimeout } from '../../../src/core/index.js';
import { DbusBackend } from '../../../src/backends/dbus/index.js';
import { Central } from '../../../src/central/index.js';
import type { ScanResult } from '../../../src/central/index.js';
import { Mgmt } from '../../../src/mgmt/index.js';
import { assertInLab, HCI1_ADDR } from '../../support/proc.js';

const T = { timeout: 180_000 };
const COMPANY = 0xffff;
const BURST = 200;
const DEVICE_PATH = `/org/bluez/hci0/dev_${HCI1_ADDR.replace(/:/g, '_')}`;

let mgmt: Mgmt;
let central: Central;
let instance = 1;
// dist/test/lab/central -> the .py next to the TypeScript sources.
const WATCH = fileURLToPath(
  new URL('../../../../test/lab/central/peers/adv_watch.py', import.meta.url),
);

before(async () => {
  assertInLab();
  mgmt = await Mgmt.open({ timeoutMs: 30_000 });
  const features = await mgmt.send('ReadAdvertisingFeatures', 1);
  instance = [1, 2, 3, 4, 5].find((n) => !features.instances.includes(n)) ?? 5;
  central = new Central({ backend: new DbusBackend(), adapter: 'hci0' });
  await central.start();
});

after(async () => {
  await mgmt.send('RemoveAdvertising', 1, { instance }).catch(() => undefined);
  mgmt.close();
  await central.stop();
});

/** The counter values of our company's manufacturer data in bluetoothd's Device1 signals. */
async function watchBluetoothd(): Promise<{ values: number[]; stop: () => Promise<void> }> {
  const values: number[] = [];
  const child = spawn('/usr/bin/python3', ['-u', WATCH, DEVICE_PATH, String(COMPANY)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  const ready = new Promise<void>((resolve, reject) => {
    lines.on('line', (l) => {
      if (l === 'ready') resolve();
      else if (l.startsWith('v ')) values.push(Number(l.slice(2)));
    });
    child.on('exit', (code) => reject(new Error(`adv_watch.py exited with ${code}`)));
  });
  await withTimeout(ready, 20_000, 'the dbus-python watcher');
  return {
    values,
    stop: async () => {
      const exited = new Promise((r) => child.once('exit', r));
      child.stdin.end();
      await withTimeout(exited, 5000, 'the watcher to exit').catch(() => child.kill());
    },
  };
}

/**
 * One advertising enable per value (btvirt reports an advertiser once per enable): adding an
 * instance that exists replaces its data, and the kernel re-enables advertising to apply it.
 */
async function advertise(value: number): Promise<void> {
  const data = Buffer.alloc(2);
  data.writeUInt16LE(value);
  await mgmt.send('AddAdvertising', 1, {
    instance,
    // Connectable: a non-connectable instance would advertise from a random address.
    flags: ['connectable', 'discoverable'],
    duration: 0,
    timeout: 0,
    advData: { manufacturerData: new Map([[COMPANY, data]]) },
    scanRsp: new Uint8Array(0),
  });
}

test(
  'a burst of advertisements: every one bluetoothd announces surfaces, in order',
  T,
  async () => {
    const surfaced: number[] = [];
    const scanning = new Promise<void>((r) => central.once('scanStart', r));
    const stop = new AbortController();
    const scan = (async () => {
      for await (const r of central.scanStream({
        durationMs: 120_000,
        duplicates: true,
        addresses: [HCI1_ADDR],
        signal: stop.signal,
      }) as AsyncIterable<ScanResult>) {
        const v = r.advertisement.manufacturerData.get(COMPANY);
        if (v?.length === 2) surfaced.push(v.readUInt16LE(0));
      }
    })();
    await scanning;
    const announced = await watchBluetoothd();
    const t0 = Date.now();
    for (let i = 1; i <= BURST; i++) await advertise(i);
    const burstMs = Date.now() - t0;
    await mgmt.send('RemoveAdvertising', 1, { instance });
    // Signals still in flight: wait until blekit has caught up with what bluetoothd said.
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      const last = announced.values.at(-1);
      if (last !== undefined && surfaced.includes(last) && last === BURST) break;
    }
    stop.abort();
    await scan.catch(() => undefined);
    await announced.stop();

    const distinct = (xs: number[]) => xs.filter((x, i) => i === 0 || xs[i - 1] !== x);
    const heard = distinct(announced.values);
    console.log(
      `# ${BURST} advertisements in ${burstMs} ms; bluetoothd announced ${heard.length}, blekit surfaced ${distinct(surfaced).length}`,
    );
    assert.ok(heard.length >= BURST / 2, `bluetoothd announced only ${heard.length} of ${BURST}`);
    assert.deepEqual(distinct(surfaced), heard);
  },
);
