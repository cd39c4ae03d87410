// BlueZ's independent example-gatt-server + example-advertisement as a conformance peer.
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { HCI1_ADDR } from '../../../support/proc.js';
import type { AdvertisingData } from '../../../../src/core/index.js';
import type { ConformancePeer } from '../peer.js';

// dist/test/lab/central/peers -> the .py next to the TypeScript sources.
const SCRIPT = fileURLToPath(
  new URL('../../../../../test/lab/central/peers/bluez_example_peer.py', import.meta.url),
);

export function bluezExamplePeer(hci = 'hci1', address = HCI1_ADDR): ConformancePeer {
  let child: ChildProcessWithoutNullStreams | undefined;
  let output = '';
  const waiters: { prefix: string; resolve: (line: string) => void }[] = [];

  const expectLine = (prefix: string, ms: number): Promise<string> =>
    new Promise((resolve, reject) => {
      const w = { prefix, resolve: (l: string) => (clearTimeout(t), resolve(l)) };
      const t = setTimeout(() => {
        waiters.splice(waiters.indexOf(w), 1);
        reject(new Error(`peer: no "${prefix}" within ${ms} ms; output:\n${output}`));
      }, ms);
      waiters.push(w);
    });

  const command = async (cmd: string): Promise<void> => {
    if (!child) throw new Error('peer not started');
    const answer = Promise.race([
      expectLine(`ok ${cmd}`, 30_000),
      expectLine(`err ${cmd}`, 30_000),
    ]);
    child.stdin.write(cmd + '\n');
    const line = await answer;
    if (line.startsWith('err')) throw new Error(`peer: ${line}`);
  };

  let advertising = false;
  return {
    name: 'bluez-example-gatt-server',
    address,
    hci,
    async start() {
      child = spawn('/usr/bin/python3', ['-u', SCRIPT, hci], { stdio: ['pipe', 'pipe', 'pipe'] });
      child.stderr.on('data', (b: Buffer) => (output += b.toString()));
      createInterface({ input: child.stdout }).on('line', (line) => {
        output += line + '\n';
        const i = waiters.findIndex((w) => line.startsWith(w.prefix));
        if (i >= 0) waiters.splice(i, 1)[0]?.resolve(line);
      });
      const ready = Promise.race([expectLine('ready', 30_000), expectLine('err register', 30_000)]);
      const line = await ready;
      if (!line.startsWith('ready')) throw new Error(`peer: ${line}\n${output}`);
    },
    async advertise(on: boolean) {
      if (on === advertising) {
        if (!on) return;
        // Re-enabling is how btvirt is made to send a fresh report.
        await command('adv off');
      }
      await command(on ? 'adv on' : 'adv off');
      advertising = on;
    },
    async stop() {
      const c = child;
      if (!c) return;
      if (advertising) await command('adv off').catch(() => undefined);
      advertising = false;
      const exited = new Promise<void>((r) => c.once('exit', () => r()));
      c.stdin.write('quit\n');
      const t = setTimeout(() => c.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(t);
      child = undefined;
    },
    checkAdvertisement(ad: AdvertisingData, name: string | undefined) {
      // What example-advertisement's TestAdvertisement puts on air.
      assert.equal(name, 'TestAdvertisement');
      assert.ok(
        ad.serviceUuids.includes('0000180d-0000-1000-8000-00805f9b34fb'),
        String(ad.serviceUuids),
      );
      assert.ok(
        ad.serviceUuids.includes('0000180f-0000-1000-8000-00805f9b34fb'),
        String(ad.serviceUuids),
      );
      assert.deepEqual(ad.manufacturerData.get(0xffff), Buffer.from([0, 1, 2, 3]));
      assert.deepEqual(
        ad.serviceData.get('00009999-0000-1000-8000-00805f9b34fb'),
        Buffer.from([0, 1, 2, 3, 4]),
      );
    },
  };
}
