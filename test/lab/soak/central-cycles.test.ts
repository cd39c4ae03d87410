// Issue 18's soak: blekit's central (D-Bus backend, hci0) loops connect -> discover -> read ->
// subscribe -> disconnect against an independent dbus-python peripheral on hci1 (the battery
// peer bleak's soak uses). Prints per-cycle latency (median, p95) and each phase's median,
// failures, and the central's fds, bus listeners, D-Bus match rules and RSS at cycles
// 0/50/100/200. npm test runs 50 cycles; `npm run soak` sets BLEKIT_SOAK_CYCLES=200.
// Goal: 0 failures, no growth.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { DbusBackend } from '../../../src/backends/dbus/index.js';
import { Central } from '../../../src/central/index.js';
import { assertInLab, HCI1_ADDR } from '../../support/proc.js';
import { PY, forgetPeers } from '../peripheral/support.js';

const CYCLES = Number(process.env.BLEKIT_SOAK_CYCLES ?? 50);
const LEVEL = '2a19';
const PEER = fileURLToPath(
  new URL('../../../../test/lab/peripheral/peers/battery_peer.py', import.meta.url),
);
const PHASES = ['connect', 'discover', 'read', 'subscribe', 'disconnect'] as const;

interface BusInternals {
  bus?: {
    call: (...args: unknown[]) => Promise<unknown[]>;
    onProperties: (
      path: string,
      h: (iface: string, changed: Record<string, unknown>) => void,
    ) => () => void;
    matches: string[];
    pathHandlers: Map<string, Set<unknown>>;
    ifaceHandlers: Set<unknown>;
    subtreeHandlers: unknown[];
  };
}

/** What the central holds: fds, bus signal handlers, match rules, RSS (MiB). */
function resources(backend: DbusBackend): Record<string, number> {
  const bus = (backend as unknown as BusInternals).bus;
  let handlers = 0;
  for (const s of bus?.pathHandlers.values() ?? []) handlers += s.size;
  handlers += (bus?.ifaceHandlers.size ?? 0) + (bus?.subtreeHandlers.length ?? 0);
  return {
    fds: readdirSync('/proc/self/fd').length,
    listeners: handlers,
    matches: bus?.matches.length ?? 0,
    rssMiB: Math.round((process.memoryUsage().rss / 2 ** 20) * 10) / 10,
  };
}

/**
 * BLEKIT_SOAK_TRACE=N: the D-Bus calls (with their durations) and the device's Connected /
 * ServicesResolved signals of cycles 1..N, in ms from the cycle's start: where a cycle's time goes.
 */
const TRACE_CYCLES = Number(process.env.BLEKIT_SOAK_TRACE ?? 0);
const traceLog: string[] = [];
let cycleStart = 0;

function traceBus(backend: DbusBackend): void {
  const bus = (backend as unknown as BusInternals).bus;
  if (!bus || TRACE_CYCLES <= 0) return;
  const call = bus.call.bind(bus);
  bus.call = async (...args: unknown[]) => {
    const t0 = Date.now();
    try {
      return await call(...args);
    } finally {
      traceLog.push(
        `  +${t0 - cycleStart} ${String(args[2])} ${String(args[0]).slice(15)} (${Date.now() - t0} ms)`,
      );
    }
  };
  const dev = `/org/bluez/hci0/dev_${HCI1_ADDR.replace(/:/g, '_')}`;
  bus.onProperties(dev, (iface, changed) => {
    const keys = ['Connected', 'ServicesResolved'].filter((k) => k in changed);
    if (keys.length) {
      traceLog.push(
        `  +${Date.now() - cycleStart} signal ${keys.map((k) => `${k}=${String(changed[k])}`).join(' ')}`,
      );
    }
  });
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;
}

let stopPeer: (() => Promise<void>) | undefined;

before(async () => {
  assertInLab();
  await forgetPeers();
});

after(async () => {
  await stopPeer?.();
  await forgetPeers();
});

test(
  `${CYCLES} connect/discover/read/subscribe/disconnect cycles against dbus-python`,
  { timeout: CYCLES * 60_000 },
  async () => {
    const peer = spawn(PY, ['-u', PEER, 'hci1'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    peer.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const exited = new Promise<void>((resolve) => peer.on('close', () => resolve()));
    stopPeer = async () => {
      peer.stdin.end();
      const t = setTimeout(() => peer.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    };
    const first = await new Promise<string>((resolve, reject) => {
      createInterface({ input: peer.stdout }).on('line', (l) => {
        if (l === 'ready' || l.startsWith('err ')) resolve(l);
      });
      void exited.then(() => reject(new Error(`peer exited: ${stderr}`)));
    });
    assert.equal(first, 'ready', stderr);

    const backend = new DbusBackend();
    const central = new Central({ backend, adapter: 'hci0' });
    await central.start();
    traceBus(backend);
    const totals: number[] = [];
    const phases = new Map<string, number[]>(PHASES.map((p) => [p, []]));
    const errors: string[] = [];
    const checkpoints: Record<number, Record<string, number>> = {};
    try {
      for (let i = 0; i < CYCLES; i++) {
        if ([0, 1, 50, 100, 200].includes(i)) checkpoints[i] = resources(backend);
        const t = [Date.now()];
        cycleStart = t[0] as number;
        if (i >= 1 && i <= TRACE_CYCLES) traceLog.push(`cycle ${i}:`);
        else if (i > TRACE_CYCLES) traceLog.length = Math.min(traceLog.length, 10_000);
        try {
          const d = await central.connect(HCI1_ADDR, { timeoutMs: 30_000 });
          t.push(Date.now());
          try {
            await d.discover();
            t.push(Date.now());
            const v = await d.read(LEVEL);
            assert.deepEqual(v, Buffer.from([87]));
            t.push(Date.now());
            await d.subscribe(LEVEL, () => undefined);
            t.push(Date.now());
          } finally {
            await d.disconnect();
          }
          t.push(Date.now());
          totals.push((t[5] as number) - (t[0] as number));
          if (i >= 1 && i <= TRACE_CYCLES) {
            traceLog.push(
              `  phases ${PHASES.map((p, k) => `${p} ${(t[k + 1] as number) - (t[k] as number)}`).join(', ')}`,
            );
          }
          PHASES.forEach((p, k) => phases.get(p)?.push((t[k + 1] as number) - (t[k] as number)));
        } catch (e) {
          errors.push(`#${i} ${(e as Error).name}: ${(e as Error).message}`);
        }
        // As bleak's loop does: let bluetoothd settle the disconnect.
        await new Promise((r) => setTimeout(r, 500));
      }
      checkpoints[CYCLES] = resources(backend);
    } finally {
      await central.stop();
    }
    const sorted = [...totals].sort((a, b) => a - b);
    const phaseMedians = PHASES.map((p) => {
      const s = [...(phases.get(p) ?? [])].sort((a, b) => a - b);
      return `${p} ${pct(s, 0.5)}`;
    }).join(', ');
    console.log(
      `# soak dbus-python: ${errors.length}/${CYCLES} failed; cycle median ${pct(sorted, 0.5)} ms, ` +
        `p95 ${pct(sorted, 0.95)} ms; phase medians (ms): ${phaseMedians}`,
    );
    for (const [i, r] of Object.entries(checkpoints))
      console.log(`# soak cycle ${i}: ${JSON.stringify(r)}`);
    if (TRACE_CYCLES > 0) console.log(`# soak trace\n${traceLog.join('\n')}`);
    if (errors.length) console.log(`# soak failures:\n  ${errors.join('\n  ')}`);
    assert.deepEqual(errors, []);
    // After cycle 0 the backend tracks the device (one property watch): the baseline is cycle 1.
    const start = (checkpoints[1] ?? checkpoints[0]) as Record<string, number>;
    const end = checkpoints[CYCLES] as Record<string, number>;
    assert.ok((end.fds ?? 0) <= (start.fds ?? 0) + 2, `fds ${start.fds} -> ${end.fds}`);
    assert.equal(end.listeners, start.listeners, 'bus listeners back to where they started');
    assert.equal(end.matches, start.matches, 'match rules back to where they started');
  },
);
