// The notify-loop bench inside the lab VM: blekit's peripheral and a python-dbus peripheral
// both serve on hci1 (GATT applications of one bluetoothd; blekit's serves its default
// socket path and its signal path), and blekit's central on hci0
// subscribes to each in turn; every subscription makes the peripheral send COUNT values in its
// obvious loop. Rounds alternate which peer goes first so drift in the emulated VM hits both.
// Prints one line per run and a table of medians.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { DbusBackend } from '../../src/backends/dbus/index.js';
import { Central, type Device } from '../../src/central/index.js';
import { assertInLab, btmgmt } from '../../test/support/proc.js';
import { COUNT, PEERS, type Kind, type PeerName } from './protocol.js';

const ROUNDS = Number(process.env.BLEKIT_NOTIFY_ROUNDS ?? 3);
const HCI1 = '00:AA:01:01:00:01';
/** A run ends this long after the last value once the peripheral says its loop is done. */
const IDLE_MS = 5_000;
const RUN_LIMIT_MS = 180_000;
const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const log = (msg: string): void =>
  void process.stdout.write(`# ${new Date().toISOString().slice(11, 19)} ${msg}\n`);

/** A peripheral process: "ready" once registered, then one "done"/"fail" line per loop. */
function startPeer(name: PeerName, cmd: string, args: string[]) {
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  const lines: string[] = [];
  const waiters: (() => void)[] = [];
  child.stderr.on('data', (b: Buffer) => (output += b.toString()));
  createInterface({ input: child.stdout }).on('line', (l) => {
    output += l + '\n';
    lines.push(l);
    for (const w of waiters.splice(0)) w();
  });
  const next = async (prefixes: string[], ms: number): Promise<string> => {
    const end = Date.now() + ms;
    for (;;) {
      const i = lines.findIndex((l) => prefixes.some((p) => l.startsWith(p)));
      if (i >= 0) return lines.splice(i, 1)[0] as string;
      const left = end - Date.now();
      if (left <= 0 || child.exitCode !== null) {
        throw new Error(`${name}: no ${prefixes.join('/')} line; output:\n${output}`);
      }
      await Promise.race([new Promise<void>((r) => waiters.push(r)), sleep(Math.min(left, 500))]);
    }
  };
  return { name, next, stop: () => child.stdin.end() };
}

async function connect(central: Central): Promise<Device> {
  await btmgmt(['-i', 'hci1', 'connectable', 'on']);
  let done = false;
  const connecting = central
    .connect(HCI1, { timeoutMs: 90_000, addressType: 'public' })
    .finally(() => (done = true));
  // btvirt reports an advertiser once per advertising enable: re-enable until connected.
  while (!done) {
    await btmgmt(['-i', 'hci1', 'advertising', 'on']);
    for (let i = 0; i < 15 && !done; i++) await sleep(100);
    if (!done) await btmgmt(['-i', 'hci1', 'advertising', 'off']);
  }
  const d = await connecting;
  await btmgmt(['-i', 'hci1', 'advertising', 'off']);
  return d;
}

interface RunResult {
  peer: PeerName;
  kind: Kind;
  /** The peripheral's loop, first send to last await. */
  sendS: number;
  /** From subscribe() to the last value at the central. */
  receiveS: number;
  received: number;
  outOfOrder: number;
  via: string;
  /** blekit only: the part of the loop spent in awaits that did not settle at once. */
  stalledS?: number;
}

async function oneRun(
  device: Device,
  peer: ReturnType<typeof startPeer>,
  kind: Kind,
): Promise<RunResult> {
  const uuid = PEERS[peer.name][kind];
  const seen = new Set<number>();
  let outOfOrder = 0;
  let prev = -1;
  const t0 = performance.now();
  let last = t0;
  const off = await device.subscribe(uuid, (v) => {
    const n = v.readUInt32LE(0);
    if (n < prev) outOfOrder++;
    prev = n;
    seen.add(n);
    last = performance.now();
  });
  try {
    const doneLine = await peer.next([`done ${uuid}`, `fail ${uuid}`], RUN_LIMIT_MS);
    if (doneLine.startsWith('fail')) throw new Error(`${peer.name}: ${doneLine}`);
    const [, , ms, via, stalledMs] = doneLine.split(' ');
    const end = t0 + RUN_LIMIT_MS;
    while (seen.size < COUNT && performance.now() - last < IDLE_MS && performance.now() < end) {
      await sleep(50);
    }
    return {
      peer: peer.name,
      kind,
      sendS: Number(ms) / 1000,
      receiveS: (last - t0) / 1000,
      received: seen.size,
      outOfOrder,
      via: via ?? '?',
      stalledS: stalledMs === undefined ? undefined : Number(stalledMs) / 1000,
    };
  } finally {
    await off().catch(() => undefined);
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

function table(results: RunResult[]): string {
  const rows = ['peripheral    values      loop s  delivered s  received (min)  via'];
  for (const kind of ['notify', 'indicate'] as const) {
    for (const peer of Object.keys(PEERS) as PeerName[]) {
      const rs = results.filter((r) => r.peer === peer && r.kind === kind);
      if (rs.length === 0) continue;
      const recv = Math.min(...rs.map((r) => r.received));
      rows.push(
        [
          peer.padEnd(13),
          (kind === 'notify' ? 'notifications' : 'indications').padEnd(13),
          median(rs.map((r) => r.sendS))
            .toFixed(2)
            .padStart(6),
          median(rs.map((r) => r.receiveS))
            .toFixed(2)
            .padStart(12),
          `${recv}/${COUNT}`.padStart(15),
          ` ${[...new Set(rs.map((r) => r.via))].join(',')}`,
        ].join(' '),
      );
    }
  }
  return rows.join('\n');
}

async function main(): Promise<void> {
  assertInLab();
  const blekit = startPeer('blekit', process.execPath, [here('./blekit-peripheral.js'), 'hci1']);
  await blekit.next(['ready'], 120_000);
  const U = PEERS['python-dbus'];
  const python = startPeer('python-dbus', '/usr/bin/python3', [
    here('../../../bench/notify-loop/python_peripheral.py'),
    'hci1',
    String(COUNT),
    U.service,
    U.notify,
    U.indicate,
  ]);
  await python.next(['ready'], 60_000);
  log('both peripherals registered on hci1');
  const central = new Central({ backend: new DbusBackend(), adapter: 'hci0' });
  await central.start();
  const device = await connect(central);
  log('connected');
  const results: RunResult[] = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const blekitSignal = { ...blekit, name: 'blekit-signal' as const };
      const peers =
        round % 2 === 0 ? [blekit, blekitSignal, python] : [python, blekitSignal, blekit];
      for (const kind of ['notify', 'indicate'] as const) {
        for (const peer of peers) {
          const r = await oneRun(device, peer, kind);
          results.push(r);
          log(
            `round ${round + 1} ${r.peer} ${r.kind}: loop ${r.sendS.toFixed(2)} s` +
              (r.stalledS === undefined ? '' : ` (${r.stalledS.toFixed(2)} s waiting)`) +
              `, ` +
              `delivered ${r.receiveS.toFixed(2)} s, ${r.received}/${COUNT} ` +
              `(${r.outOfOrder} out of order) via ${r.via}`,
          );
          await sleep(1_000);
        }
      }
    }
  } finally {
    await device.disconnect().catch(() => undefined);
    await central.stop().catch(() => undefined);
    blekit.stop();
    python.stop();
  }
  process.stdout.write(`\nnotify loop: ${COUNT} values, medians of ${ROUNDS} rounds\n`);
  process.stdout.write(table(results) + '\n');
  await sleep(500);
  process.exit(0);
}

main().catch((e: unknown) => {
  process.stderr.write(`notify-loop bench failed: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
