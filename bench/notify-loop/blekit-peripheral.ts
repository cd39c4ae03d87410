// The blekit side of the notify-loop bench: a Peripheral on hci1 whose subscriptions each run
// the loop users write, `for (...) await c.notify(v)`, with every default left alone.
//   node dist/bench/notify-loop/blekit-peripheral.js hci1
import { Peripheral, type LocalCharacteristic } from '../../src/peripheral/index.js';
import { COUNT, PEERS } from './protocol.js';

const U = PEERS.blekit;
const say = (line: string): void => void process.stdout.write(line + '\n');

async function loop(c: LocalCharacteristic, via: string): Promise<void> {
  const t0 = performance.now();
  try {
    for (let i = 0; i < COUNT; i++) {
      const b = Buffer.alloc(4);
      b.writeUInt32LE(i);
      await c.notify(b);
    }
    say(`done ${c.uuid} ${Math.round(performance.now() - t0)} ${via}`);
  } catch (e) {
    say(`fail ${c.uuid} ${(e as Error).name}: ${(e as Error).message}`);
  }
}

const p = await Peripheral.open({ adapter: process.argv[2] ?? 'hci1', handleSignals: false });
const svc = await p.addService({
  uuid: U.service,
  characteristics: [
    { uuid: U.notify, flags: ['notify'] },
    { uuid: U.indicate, flags: ['indicate'] },
  ],
});
for (const c of svc.characteristics) {
  c.on('subscribe', (ev) => setImmediate(() => void loop(c, ev.via)));
}
process.stdin.resume();
process.stdin.on('end', () => void p.close().finally(() => process.exit(0)));
say('ready');
