// Turns the gateway bench's records into rows and a table (run.ts prints and stores them).
import { median, quantile } from '../protocol.js';
import type { AdvRun, ReadRun } from './protocol.js';

export interface AdvRow {
  path: 'central' | 'gateway';
  rounds: number;
  sent: number;
  received: number;
  lost: number;
  lostPercent: number;
  /** Median over rounds of distinct counters per second, first sent to last received. */
  perSec: number;
  /** Median over rounds of what the advertisers managed together. */
  sentPerSec: number;
  cpuMsPer1000: number;
  cpuPercent: number;
  idleRssMiB: number;
  peakRssMiB: number;
  /** Gateway only: reports it took in and messages it published, over all rounds. */
  intake?: { reports: number; published: number };
  errors: string[];
}

export interface ReadRow {
  path: ReadRun['path'];
  reads: number;
  connectMs: number;
  medianMs: number;
  p95Ms: number;
  errors: string[];
}

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

function received(r: AdvRun): number {
  return sum(r.sent.map((s) => r.received[String(s.burst)] ?? 0));
}

export function advRows(runs: AdvRun[]): AdvRow[] {
  return (['central', 'gateway'] as const).flatMap((path) => {
    const rs = runs.filter((r) => r.path === path);
    if (!rs.length) return [];
    const sent = sum(rs.map((r) => sum(r.sent.map((s) => s.sent))));
    const got = sum(rs.map(received));
    const span = (r: AdvRun): number => {
      const from = Math.min(...r.sent.map((s) => s.startAt));
      const to = Math.max(r.lastAt, ...r.sent.map((s) => s.endAt));
      return Math.max(to - from, 1) / 1000;
    };
    const cpu = (r: AdvRun): number => r.usage.userMs + r.usage.systemMs;
    const sentSpan = (r: AdvRun): number =>
      Math.max(
        Math.max(...r.sent.map((s) => s.endAt)) - Math.min(...r.sent.map((s) => s.startAt)),
        1,
      ) / 1000;
    return [
      {
        path,
        rounds: rs.length,
        sent,
        received: got,
        lost: sent - got,
        lostPercent: sent ? (100 * (sent - got)) / sent : 0,
        perSec: median(rs.map((r) => received(r) / span(r))),
        sentPerSec: median(rs.map((r) => sum(r.sent.map((s) => s.sent)) / sentSpan(r))),
        cpuMsPer1000: median(rs.map((r) => (1000 * cpu(r)) / Math.max(received(r), 1))),
        cpuPercent: median(rs.map((r) => (100 * cpu(r)) / Math.max(r.usage.wallMs, 1))),
        idleRssMiB: median(rs.map((r) => r.idleRssMiB)),
        peakRssMiB: Math.max(...rs.map((r) => r.usage.peakRssMiB)),
        ...(path === 'gateway'
          ? {
              intake: {
                reports: sum(rs.map((r) => r.advertisements ?? 0)),
                published: sum(rs.map((r) => r.published ?? 0)),
              },
            }
          : {}),
        errors: rs.flatMap((r) => r.errors),
      },
    ];
  });
}

export function readRows(runs: ReadRun[]): ReadRow[] {
  return runs.map((r) => ({
    path: r.path,
    reads: r.latencies.length,
    connectMs: r.connectMs,
    medianMs: median(r.latencies),
    p95Ms: quantile(r.latencies, 0.95),
    errors: r.errors,
  }));
}

const PATHS = {
  central: 'bare Central scanStream (baseline)',
  gateway: 'Gateway -> mosquitto -> mosquitto_sub',
};
const READ_PATHS = {
  central: 'direct: Central read',
  gateway: 'gateway: MQTT 5 read command round trip',
  mqtt: 'gateway: MQTT 5 round trip of a command without radio work',
};

const f = (n: number, d = 0): string => n.toFixed(d);

export function advTable(rows: AdvRow[]): string {
  return [
    '| advertisements, radio to counter | rounds | sent | received | lost | received/s (sent/s) | CPU ms per 1,000 | CPU % | RSS idle / peak (MiB) |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${PATHS[r.path]} | ${r.rounds} | ${r.sent} | ${r.received} | ${r.lost} (${f(r.lostPercent, 1)}%) | ${f(r.perSec)} (${f(r.sentPerSec)}) | ${f(r.cpuMsPer1000)} | ${f(r.cpuPercent)} | ${f(r.idleRssMiB, 1)} / ${f(r.peakRssMiB, 1)} |`,
    ),
  ].join('\n');
}

export function readTable(rows: ReadRow[]): string {
  return [
    '| reads of one characteristic | reads | connect (ms) | median (ms) | p95 (ms) |',
    '|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${READ_PATHS[r.path]} | ${r.reads} | ${f(r.connectMs)} | ${f(r.medianMs, 1)} | ${f(r.p95Ms, 1)} |`,
    ),
  ].join('\n');
}

/** The gateway's cost over the bare Central's, where both were measured. */
export function ratios(adv: AdvRow[], reads: ReadRow[]): Record<string, number> {
  const out: Record<string, number> = {};
  const a = adv.find((r) => r.path === 'central');
  const g = adv.find((r) => r.path === 'gateway');
  if (a && g) {
    out.receivedPerSec = g.perSec / a.perSec;
    out.cpuPer1000 = g.cpuMsPer1000 / a.cpuMsPer1000;
    out.peakRss = g.peakRssMiB / a.peakRssMiB;
  }
  const d = reads.find((r) => r.path === 'central');
  const m = reads.find((r) => r.path === 'gateway');
  if (d && m) {
    out.readMedian = m.medianMs / d.medianMs;
    out.readP95 = m.p95Ms / d.p95Ms;
  }
  return out;
}
