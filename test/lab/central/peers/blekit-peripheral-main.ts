// blekit's own peripheral (src/peripheral) serving the conformance service on an adapter, run
// as its own process by peers/blekit-peripheral.ts (line protocol: see line-peer.ts). The
// sequence characteristic notifies through BlueZ's AcquireNotify socket when the native addon
// is built (LocalCharacteristic.fastNotify), else through D-Bus signals.
//   node dist/test/lab/central/peers/blekit-peripheral-main.js hci1
import { createInterface } from 'node:readline';
import {
  Peripheral,
  type Advertisement,
  type LocalCharacteristic,
} from '../../../../src/peripheral/index.js';
import { CONFORMANCE as C, READ_VALUE } from '../peer.js';
import { BLEKIT_AD } from './blekit-ad.js';

const say = (line: string): void => void process.stdout.write(line + '\n');

async function main(): Promise<void> {
  const hci = process.argv[2] ?? 'hci1';
  let next = 0;
  /** Credits are spent one value at a time, each awaited: notify() paces to bluetoothd. */
  let owed = 0;
  let pumping = false;
  let seq: LocalCharacteristic | undefined;
  const pump = async (): Promise<void> => {
    if (pumping || !seq) return;
    pumping = true;
    try {
      while (owed > 0 && seq.isNotifying) {
        owed--;
        const b = Buffer.alloc(4);
        b.writeUInt32LE(next++);
        await seq.notify(b);
      }
    } finally {
      pumping = false;
    }
  };

  let p: Peripheral;
  try {
    p = await Peripheral.open({ adapter: hci, handleSignals: false });
    const svc = await p.addService({
      uuid: C.service,
      characteristics: [
        { uuid: C.read, flags: ['read'], value: READ_VALUE },
        { uuid: C.echo, flags: ['read', 'write', 'write-without-response'] },
        { uuid: C.seq, flags: ['notify'] },
        {
          uuid: C.credits,
          flags: ['write', 'write-without-response'],
          onWrite: (req) => {
            const v = req.value;
            if (v.length === 4 && v.readUInt32LE(0) === 0xffffffff) {
              next = 0;
              owed = 0;
              return;
            }
            if (v.length !== 2) throw new RangeError('credits are a u16');
            owed += v.readUInt16LE(0);
            void pump();
          },
        },
      ],
    });
    seq = svc.characteristic(C.seq) as LocalCharacteristic;
    seq.on('subscribe', (ev) => {
      say(`subscribed via ${ev.via}`);
      void pump();
    });
  } catch (e) {
    say(`err register ${(e as Error).message}`);
    process.exitCode = 1;
    return;
  }
  say('ready');

  let ad: Advertisement | undefined;
  const lines = createInterface({ input: process.stdin });
  for await (const raw of lines) {
    const cmd = raw.trim();
    try {
      if (cmd === 'adv on' || cmd === 'adv off') {
        await ad?.stop();
        ad = undefined;
        if (cmd === 'adv on') ad = await p.advertise(BLEKIT_AD);
      } else if (cmd === 'quit') {
        break;
      } else {
        throw new Error('unknown command');
      }
      say(`ok ${cmd}`);
    } catch (e) {
      say(`err ${cmd} ${(e as Error).message}`);
    }
  }
  lines.close();
  await p.close().catch(() => undefined);
}

void main();
