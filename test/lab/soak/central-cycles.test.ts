// Issue 18's soak: blekit's central (D-Bus backend, hci0) loops connect -> discover -> read ->
// subscribe -> disconnect against an independent dbus-python peripheral on hci1 (the battery
// peer bleak's soak uses). Prints per-cycle latency (median, p95) and each phase's median,
// failures, and the central's fds, bus listeners, D-Bus match rules and RSS at cycles
// 0/50/100/200. npm test runs 50 cycles; `npm run soak` sets BLEKIT_SOAK_CYCLES=200.
// Goal: 0 failures, no growth.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { DbusBackend } from '../../../src/backends/dbus/index.js';
import { withTimeout } from '../../../src/core/index.js';
import { Central, type ScanResult } from '../../../src/central/index.js';
import { assertInLab, HCI1_ADDR } from '../../support/proc.js';
import { PY, forgetPeers } from '../peripheral/support.js';
import { PHASES, soak } from './cycles.js';

const CYCLES = Number(process.env.BLEKIT_SOAK_CYCLES ?? 50);
const LEVEL = '2a19';
const PEER = fileURLToPath(
  new URL('../../../../test/lab/peripheral/peers/battery_peer.py', import.meta.url),
);

interface BusInternals {
  bus?: {
    call: (...args: unknown[]) => Promise<unknown[]>;
    onProperties: (
      path: string,
      h: (iface: string, changed: Record<string, unknown>) => void,
    ) => () => void;
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
    const backend = new DbusBackend();
    const central = new Central({ backend, adapter: 'hci0' });
    await central.start();
    // BlueZ must know the peer before cycle 0. btvirt sends one advertising report per enable,
    // and the kernel drops the one a discovery's own scan start brings (it lands before the
    // discovery counts as started: seen in btmon, every 10 s restart, for 30 s in one run). So
    // the scan runs first and the peer starts advertising inside it.
    let onDiscover: ((r: ScanResult) => void) | undefined;
    const found = new Promise<void>((resolve) => {
      onDiscover = (r) => r.address === HCI1_ADDR && resolve();
      central.on('discover', onDiscover);
    });
    const scanStop = new AbortController();
    const scanning = central.scan({ durationMs: 120_000, signal: scanStop.signal });
    await new Promise((r) => setTimeout(r, 1_000));
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
    try {
      await withTimeout(found, 30_000, `a scan finding ${HCI1_ADDR}`);
    } finally {
      scanStop.abort();
      await scanning;
      if (onDiscover) central.off('discover', onDiscover);
    }
    traceBus(backend);
    try {
      await soak({
        label: 'dbus-python',
        cycles: CYCLES,
        central,
        backend,
        connect: () => central.connect(HCI1_ADDR, { timeoutMs: 30_000 }),
        read: { uuid: LEVEL, value: Buffer.from([87]) },
        subscribe: LEVEL,
        onCycle: (i, start) => {
          cycleStart = start;
          if (i >= 1 && i <= TRACE_CYCLES) traceLog.push(`cycle ${i}:`);
          else if (i > TRACE_CYCLES) traceLog.length = Math.min(traceLog.length, 10_000);
        },
        onPhases: (i, ms) => {
          if (i >= 1 && i <= TRACE_CYCLES)
            traceLog.push(`  phases ${PHASES.map((p, k) => `${p} ${ms[k]}`).join(', ')}`);
        },
      });
    } finally {
      if (TRACE_CYCLES > 0) console.log(`# soak trace\n${traceLog.join('\n')}`);
    }
  },
);
