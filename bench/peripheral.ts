// The bench peripheral: blekit's GATT server on hci1 with the bench service (protocol.ts).
// Notifications go out through the AcquireNotify socket BlueZ asks for, paced by credits the
// central grants; writes are counted so lost writes without response show up.
// Commands on stdin, one a line: "adv on", "adv off", "quit"; answers "ok <cmd>" or
// "err <cmd> <reason>"; prints "ready" once the application is registered.
import { createInterface } from 'node:readline';
import { Peripheral, type LocalCharacteristic } from '../src/peripheral/index.js';
import { BENCH_UUIDS as U, CONTROL, PAYLOAD_BYTES, type PeripheralStats } from './protocol.js';

/**
 * Values handed to bluetoothd per D-Bus round trip (notify() shares one barrier per tick). At
 * 32 the round trips, not the CPU, capped a flood at about 1,800/s in the lab; at 128 it
 * passed 3,000/s.
 */
const BATCH = Number(process.env.BLEKIT_BENCH_BATCH ?? 128);

const adapter = process.argv[2] ?? 'hci1';
const stats: PeripheralStats = {
  reads: 0,
  writes: 0,
  wwr: 0,
  wwrFirst: 0,
  wwrLast: 0,
  notified: 0,
};
const READ_VALUE = Buffer.alloc(PAYLOAD_BYTES, 0x42);
let next = 0;
let credit = 0;
let flooding = false;
let pumping = false;
let statsSnapshot = Buffer.alloc(0);

/** Spends credits (or floods) in batches, one bluetoothd round trip each. */
async function pump(): Promise<void> {
  if (pumping) return;
  pumping = true;
  try {
    while (seq?.isNotifying && (flooding || credit > 0)) {
      const n = flooding ? BATCH : Math.min(BATCH, credit);
      if (!flooding) credit -= n;
      const sends: Promise<void>[] = [];
      for (let i = 0; i < n; i++) {
        const b = Buffer.alloc(4);
        b.writeUInt32LE(next++ >>> 0);
        sends.push(seq.notify(b));
      }
      await Promise.all(sends);
      stats.notified += n;
    }
  } catch (e) {
    process.stderr.write(`peripheral: notify failed: ${(e as Error).message}\n`);
  } finally {
    pumping = false;
  }
}

function onCredits(v: Buffer): void {
  if (v.length === 4 && v.readUInt32LE(0) === 0xffffffff) {
    next = 0;
    credit = 0;
    stats.notified = 0;
  } else if (v.length === 2) {
    credit += v.readUInt16LE(0);
    void pump();
  }
}

function onControl(v: Buffer): void {
  switch (v[0]) {
    case CONTROL.reset:
      Object.assign(stats, { reads: 0, writes: 0, wwr: 0, wwrFirst: 0, wwrLast: 0, notified: 0 });
      break;
    case CONTROL.floodOn:
      flooding = true;
      void pump();
      break;
    case CONTROL.floodOff:
      flooding = false;
      break;
  }
}

const p = await Peripheral.open({ adapter, handleSignals: false });
const [svc] = await p.addServices([
  {
    uuid: U.service,
    characteristics: [
      // Each one counts the ATT reads it serves (the bench checks none were coalesced).
      ...[U.read, U.read2, U.read3, U.read4].map((uuid) => ({
        uuid,
        flags: ['read'] as const,
        onRead: () => {
          stats.reads++;
          return READ_VALUE;
        },
      })),
      { uuid: U.seq, flags: ['notify'], fastNotify: true },
      {
        // Credits arrive as write commands over the AcquireWrite socket: the credit loop then
        // has no D-Bus call in it, for any client.
        uuid: U.credits,
        flags: ['write', 'write-without-response'],
        fastWrite: true,
        onWrite: (w) => onCredits(w.value),
      },
      ...[U.write, U.write2, U.write3, U.write4].map((uuid) => ({
        uuid,
        flags: ['write'] as const,
        onWrite: () => void stats.writes++,
      })),
      {
        uuid: U.wwr,
        flags: ['write-without-response'],
        fastWrite: true,
        onWrite: () => {
          const now = Date.now();
          if (stats.wwr++ === 0) stats.wwrFirst = now;
          stats.wwrLast = now;
        },
      },
      {
        uuid: U.stats,
        flags: ['read'],
        // A long read (gatttool: MTU 23) comes in pieces: serve them all from one snapshot.
        onRead: (req) => {
          if (req.offset === 0) statsSnapshot = Buffer.from(JSON.stringify(stats));
          return statsSnapshot;
        },
      },
      { uuid: U.control, flags: ['write'], onWrite: (w) => onControl(w.value) },
    ],
  },
]);
const seq: LocalCharacteristic | undefined = svc?.characteristic(U.seq);
p.on('unsubscribe', () => {
  flooding = false;
  credit = 0;
});

let advertising = false;
async function command(cmd: string): Promise<void> {
  if (cmd === 'adv on') {
    if (advertising) await p.stopAdvertising();
    await p.advertise({ localName: 'blekit-bench', serviceUuids: [U.service] });
    advertising = true;
  } else if (cmd === 'adv off') {
    if (advertising) await p.stopAdvertising();
    advertising = false;
  } else if (cmd === 'quit') {
    await p.close();
    process.exit(0);
  } else {
    throw new Error('unknown command');
  }
}

createInterface({ input: process.stdin }).on('line', (line) => {
  const cmd = line.trim();
  command(cmd).then(
    () => process.stdout.write(`ok ${cmd}\n`),
    (e: unknown) => process.stdout.write(`err ${cmd} ${(e as Error).message}\n`),
  );
});
process.stdin.on('end', () => void p.close().finally(() => process.exit(0)));
process.stdout.write('ready\n');
