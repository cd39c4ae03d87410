// The blekit side of the notify-loop bench: a Peripheral on hci1 whose subscriptions each run
// the loop users write, `for (...) await c.notify(v)`: one service with every default left
// alone, one with fastNotify off so the values travel as D-Bus signals like python-dbus's.
//   node dist/bench/notify-loop/blekit-peripheral.js hci1
import { Peripheral, type LocalCharacteristic } from '../../src/peripheral/index.js';
import { COUNT, PEERS } from './protocol.js';

const say = (line: string): void => void process.stdout.write(line + '\n');

async function loop(c: LocalCharacteristic, via: string): Promise<void> {
  const t0 = performance.now();
  /** Time spent in awaits that did not settle at once: waiting for bluetoothd (or a full socket). */
  let stalled = 0;
  try {
    for (let i = 0; i < COUNT; i++) {
      const b = Buffer.alloc(4);
      b.writeUInt32LE(i);
      const t = performance.now();
      await c.notify(b);
      const dt = performance.now() - t;
      if (dt > 1) stalled += dt;
    }
    say(`done ${c.uuid} ${Math.round(performance.now() - t0)} ${via} ${Math.round(stalled)}`);
  } catch (e) {
    say(`fail ${c.uuid} ${(e as Error).name}: ${(e as Error).message}`);
  }
}

const p = await Peripheral.open({ adapter: process.argv[2] ?? 'hci1', handleSignals: false });
// Defaults (AcquireNotify socket when BlueZ asks for it), and the D-Bus signal path beside them.
const services = await p.addServices(
  (['blekit', 'blekit-signal'] as const).map((name) => ({
    uuid: PEERS[name].service,
    characteristics: (['notify', 'indicate'] as const).map((kind) => ({
      uuid: PEERS[name][kind],
      flags: [kind],
      ...(name === 'blekit-signal' ? { fastNotify: false } : {}),
    })),
  })),
);
for (const c of services.flatMap((s) => s.characteristics)) {
  c.on('subscribe', (ev) => setImmediate(() => void loop(c, ev.via)));
}
process.stdin.resume();
process.stdin.on('end', () => void p.close().finally(() => process.exit(0)));
say('ready');
