// Turns the per-run records from the lab into medians per library, blekit's ratios to each
// peer, the target checks from issue 9, and the text table.
import { median, type AdvBurstRecord, type ClientResult } from './protocol.js';

export interface RunRecord {
  kind: 'run';
  phase: 'main' | 'peripheral' | 'flood';
  client: string;
  peripheral: string;
  round: number;
  advAt: number;
  /** The advertisement burst the harness sent during this run ('advRate'). */
  advBurst?: AdvBurstRecord;
  wallMs: number;
  result: ClientResult | null;
  stderr?: string;
}

/** Column order; blekit (D-Bus with the Acquire* fast paths) is the one compared. */
export const LIBRARIES = [
  'blekit',
  'blekit-dbus-next',
  'blekit-noacquire',
  'blekit-unordered',
  'blekit-gatttool',
  'blekit-bgapi',
  'bleak',
  'node-ble',
  'gatttool',
  'noble',
] as const;
export const PEERS = ['bleak', 'node-ble', 'gatttool', 'noble'] as const;

export const LABELS: Record<string, string> = {
  blekit: 'blekit (D-Bus, Acquire*)',
  'blekit-dbus-next': 'blekit (D-Bus via dbus-next)',
  'blekit-noacquire': 'blekit (D-Bus, Acquire* off)',
  'blekit-unordered': 'blekit (D-Bus, writes ordered: false)',
  'blekit-gatttool': 'blekit (gatttool backend)',
  'blekit-bgapi': 'blekit (BGAPI backend, emulated BLED112)',
  bleak: 'bleak',
  'node-ble': 'node-ble',
  gatttool: 'gatttool',
  noble: 'noble (HCI user channel)',
};

interface RowDef {
  id: string;
  label: string;
  unit: string;
  better: 'higher' | 'lower';
  get: (r: ClientResult, rec: RunRecord) => number | undefined;
  /** Peers are compared on this row instead (the windowed rows against sequential ones). */
  peerRow?: string;
  digits?: number;
}

const num = (x: unknown): number | undefined =>
  typeof x === 'number' && Number.isFinite(x) ? x : undefined;

/** A run's burst and what its client surfaced, when the burst went out whole. */
function burstOf(r: ClientResult, rec: RunRecord) {
  const b = rec.advBurst;
  return r.advRate && b && !b.error && b.sent > 0 ? { a: r.advRate, b } : undefined;
}

/**
 * Distinct advertisements surfaced per second, over the time from the burst's first
 * advertisement to its last or to the last one surfaced, whichever is later: a client that
 * falls behind is timed until it caught up, one that loses advertisements counts fewer.
 */
function advRate(r: ClientResult, rec: RunRecord): number | undefined {
  const x = burstOf(r, rec);
  if (!x) return undefined;
  const ms = Math.max(x.a.lastAt, x.b.endAt) - x.b.startAt;
  return ms > 0 ? x.a.distinct / (ms / 1000) : undefined;
}

export const ROWS: RowDef[] = [
  {
    id: 'connect',
    label: 'connect to services resolved',
    unit: 'ms',
    better: 'lower',
    get: (r) => num(r.connectMs),
    digits: 0,
  },
  {
    id: 'scan',
    label: 'scan: advertising enabled to report surfaced',
    unit: 'ms',
    better: 'lower',
    get: (r, rec) => (r.scanSeenAt && rec.advAt ? r.scanSeenAt - rec.advAt : undefined),
    digits: 0,
  },
  {
    id: 'advRate',
    label: 'scan: advertisements surfaced (distinct, burst start to last surfaced or sent)',
    unit: '/s',
    better: 'higher',
    get: advRate,
    digits: 0,
  },
  {
    id: 'advLost',
    label: 'scan: advertisements of the burst never surfaced',
    unit: 'per burst',
    better: 'lower',
    get: (r, rec) => {
      const x = burstOf(r, rec);
      return x ? x.b.sent - x.a.distinct : undefined;
    },
    digits: 0,
  },
  {
    id: 'read',
    label: 'sequential reads',
    unit: 'ops/s',
    better: 'higher',
    get: (r) => num(r.read?.opsPerSec),
    digits: 1,
  },
  {
    id: 'readMedian',
    label: 'read latency, median',
    unit: 'ms',
    better: 'lower',
    get: (r) => num(r.read?.medianMs),
    digits: 1,
  },
  {
    id: 'readP95',
    label: 'read latency, p95',
    unit: 'ms',
    better: 'lower',
    get: (r) => num(r.read?.p95Ms),
    digits: 1,
  },
  {
    id: 'write',
    label: 'writes with response',
    unit: 'ops/s',
    better: 'higher',
    get: (r) => num(r.write?.opsPerSec),
    digits: 1,
  },
  {
    id: 'wwr',
    label: 'writes without response (delivered)',
    unit: 'ops/s',
    better: 'higher',
    get: (r) => num(r.wwr?.deliveredPerSec),
    digits: 0,
  },
  {
    id: 'wwrLost',
    label: 'writes without response lost',
    unit: 'writes',
    better: 'lower',
    get: (r) => (r.wwr ? r.wwr.sent - r.wwr.arrived : undefined),
    digits: 0,
  },
  {
    id: 'notify',
    label: 'notifications (credit-paced)',
    unit: '/s',
    better: 'higher',
    get: (r) => num(r.notify?.perSec),
    digits: 0,
  },
  {
    id: 'notifyLost',
    label: 'notifications lost',
    unit: 'per run',
    better: 'lower',
    get: (r) => num(r.notify?.lost),
    digits: 0,
  },
  {
    id: 'cpu',
    label: 'client CPU per 1,000 notifications',
    unit: 'ms',
    better: 'lower',
    get: (r) => num(r.notify?.cpuMsPer1000),
    digits: 0,
  },
  {
    id: 'rss',
    label: 'client peak RSS',
    unit: 'MiB',
    better: 'lower',
    get: (r) => num(r.peakRssMiB),
    digits: 1,
  },
  {
    id: 'readWindowed',
    label: 'reads, 4 characteristics in flight (peers: sequential)',
    unit: 'ops/s',
    better: 'higher',
    get: (r) => num(r.readWindowed?.opsPerSec),
    peerRow: 'read',
    digits: 1,
  },
  {
    id: 'readWindowedServed',
    label: 'reads, 4 in flight, as served by the peripheral (peers: sequential)',
    unit: 'ops/s',
    better: 'higher',
    get: (r) =>
      r.readWindowed?.served === undefined
        ? undefined
        : num(r.readWindowed.served / r.readWindowed.seconds),
    peerRow: 'read',
    digits: 1,
  },
  {
    id: 'writeWindowed',
    label: 'writes with response, 4 characteristics in flight (peers: sequential)',
    unit: 'ops/s',
    better: 'higher',
    get: (r) => num(r.writeWindowed?.opsPerSec),
    peerRow: 'write',
    digits: 1,
  },
];

export interface RowResult {
  id: string;
  label: string;
  unit: string;
  better: 'higher' | 'lower';
  /** Median per library over its runs (null: not measured or every run failed). */
  median: Record<string, number | null>;
  /** Every run's figure, for anyone who wants the spread. */
  samples: Record<string, number[]>;
  /** blekit's median divided by each peer's (on peerRow for the windowed rows). */
  ratio: Record<string, number | null>;
}

export function aggregate(runs: RunRecord[]): RowResult[] {
  const main = runs.filter((r) => r.phase === 'main' && r.result);
  const rows: RowResult[] = [];
  for (const def of ROWS) {
    const samples: Record<string, number[]> = {};
    const med: Record<string, number | null> = {};
    for (const lib of LIBRARIES) {
      const xs = main
        .filter((r) => r.client === lib)
        .map((r) => def.get(r.result as ClientResult, r))
        .filter((x): x is number => x !== undefined);
      samples[lib] = xs;
      med[lib] = xs.length ? median(xs) : null;
    }
    rows.push({
      id: def.id,
      label: def.label,
      unit: def.unit,
      better: def.better,
      median: med,
      samples,
      ratio: {},
    });
  }
  for (const row of rows) {
    const def = ROWS.find((d) => d.id === row.id) as RowDef;
    const peerRow = rows.find((r) => r.id === (def.peerRow ?? def.id)) as RowResult;
    const mine = row.median.blekit ?? null;
    for (const p of PEERS) {
      const theirs = peerRow.median[p] ?? null;
      row.ratio[p] = mine !== null && theirs !== null && theirs !== 0 ? mine / theirs : null;
    }
  }
  return rows;
}

/** The advertiser's side of the bursts: what it sent, how fast, per client's runs. */
export interface AdvertiserSide {
  client: string;
  /** Median advertisements sent per burst and sent per second (the advertiser's own rate). */
  sent: number | null;
  sentPerSec: number | null;
  bursts: number;
  errors: string[];
}

export function advertiserSide(runs: RunRecord[]): AdvertiserSide[] {
  const main = runs.filter((r) => r.phase === 'main');
  return LIBRARIES.filter((l) => main.some((r) => r.client === l && r.advBurst)).map((client) => {
    const bursts = main.flatMap((r) => (r.client === client && r.advBurst ? [r.advBurst] : []));
    const ok = bursts.filter((b) => !b.error);
    return {
      client,
      sent: ok.length ? median(ok.map((b) => b.sent)) : null,
      sentPerSec: ok.length ? median(ok.map((b) => b.sentPerSec)) : null,
      bursts: bursts.length,
      errors: bursts.flatMap((b) => (b.error ? [b.error] : [])),
    };
  });
}

export interface PeripheralSide {
  peripheral: string;
  deliveredPerSec: number | null;
  lostTotal: number;
  runs: number;
}

export function peripheralSide(runs: RunRecord[]): PeripheralSide[] {
  const ph = runs.filter((r) => r.phase === 'peripheral');
  return [...new Set(ph.map((r) => r.peripheral))].map((name) => {
    const mine = ph.filter((r) => r.peripheral === name && r.result?.notify);
    const rates = mine.map((r) => r.result?.notify?.perSec as number);
    return {
      peripheral: name,
      deliveredPerSec: rates.length ? median(rates) : null,
      lostTotal: mine.reduce((s, r) => s + (r.result?.notify?.lost ?? 0), 0),
      runs: mine.length,
    };
  });
}

export interface Target {
  what: string;
  met: boolean | null;
  detail: string;
}

const fmtRatio = (x: number | null | undefined): string =>
  x === null || x === undefined ? 'n/a' : `${x.toFixed(2)}x`;

export function targets(rows: RowResult[], runs: RunRecord[]): Target[] {
  const row = (id: string): RowResult => rows.find((r) => r.id === id) as RowResult;
  const rb = (id: string): number | null => row(id).ratio.bleak ?? null;
  const blekitRuns = runs.filter((r) => r.phase === 'main' && r.client === 'blekit' && r.result);
  const lost = blekitRuns.reduce((s, r) => s + (r.result?.notify?.lost ?? 0), 0);
  const wwrLost = blekitRuns.reduce(
    (s, r) => s + (r.result?.wwr ? r.result.wwr.sent - r.result.wwr.arrived : 0),
    0,
  );
  const check = (what: string, ok: boolean | null, detail: string): Target => ({
    what,
    met: ok,
    detail,
  });
  const ge = (x: number | null, k: number): boolean | null => (x === null ? null : x >= k);
  const le = (x: number | null, k: number): boolean | null => (x === null ? null : x <= k);
  const rss = row('rss').median.blekit ?? null;
  const lat = row('readMedian');
  const latB = lat.median.blekit ?? null;
  const latG = lat.median.gatttool ?? null;
  return [
    check(
      'notifications/s >= 3x bleak, zero loss',
      ge(rb('notify'), 3) === null ? null : (ge(rb('notify'), 3) as boolean) && lost === 0,
      `${fmtRatio(rb('notify'))}, ${lost} lost over ${blekitRuns.length} runs`,
    ),
    check('CPU per 1,000 notifications <= 1/3 of bleak', le(rb('cpu'), 1 / 3), fmtRatio(rb('cpu'))),
    check(
      'writes without response/s >= 10x bleak, all arriving',
      ge(rb('wwr'), 10) === null ? null : (ge(rb('wwr'), 10) as boolean) && wwrLost === 0,
      `${fmtRatio(rb('wwr'))}, ${wwrLost} lost`,
    ),
    check('sequential reads/s >= 1x bleak', ge(rb('read'), 1), fmtRatio(rb('read'))),
    check('writes with response/s >= 1x bleak', ge(rb('write'), 1), fmtRatio(rb('write'))),
    check(
      'reads/s with several in flight >= 2x bleak',
      ge(rb('readWindowed'), 2),
      fmtRatio(rb('readWindowed')),
    ),
    check(
      'writes/s with several in flight >= 2x bleak',
      ge(rb('writeWindowed'), 2),
      fmtRatio(rb('writeWindowed')),
    ),
    check('connect time <= 1x bleak', le(rb('connect'), 1), fmtRatio(rb('connect'))),
    check('peak RSS <= 40 MiB', le(rss, 40), rss === null ? 'n/a' : `${rss.toFixed(1)} MiB`),
    check(
      'read latency no worse than gatttool',
      latB === null || latG === null ? null : latB <= latG,
      latB === null || latG === null
        ? 'n/a'
        : `median ${latB.toFixed(1)} ms vs ${latG.toFixed(1)} ms`,
    ),
  ];
}

function fmt(x: number | null | undefined, digits = 1): string {
  if (x === null || x === undefined) return '—';
  return x.toFixed(digits);
}

/** The main table as Markdown: medians per library, then blekit's ratio to each peer. */
export function markdownTable(rows: RowResult[], present: string[]): string {
  const cols = LIBRARIES.filter((l) => present.includes(l));
  const peers = PEERS.filter((p) => present.includes(p));
  const head = ['', ...cols.map((c) => LABELS[c] ?? c), ...peers.map((p) => `blekit / ${p}`)];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const r of rows) {
    const def = ROWS.find((d) => d.id === r.id) as RowDef;
    const cells = cols.map((c) => fmt(r.median[c], def.digits));
    const ratios = peers.map((p) => fmtRatio(r.ratio[p]).replace('n/a', '—'));
    lines.push(`| ${r.label} (${r.unit}) | ${[...cells, ...ratios].join(' | ')} |`);
  }
  return lines.join('\n');
}

export function floodTable(runs: RunRecord[]): string {
  const fl = runs.filter((r) => r.phase === 'flood');
  const lines = [
    '| no credits (peripheral floods) | notifications/s | lost | read during flood, median / max (ms) | RSS start → peak (MiB) | unsubscribe (ms) | arrived after unsubscribe |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const r of fl) {
    const f = r.result?.flood;
    const name = LABELS[r.client] ?? r.client;
    if (!f) {
      lines.push(
        `| ${name} | failed: ${(r.result?.errors ?? ['no result']).join('; ').slice(0, 120)} | | | | | |`,
      );
      continue;
    }
    lines.push(
      `| ${name} | ${fmt(f.received / f.seconds, 0)} | ${f.lost} | ${fmt(f.readMedianMs, 0)} / ${fmt(f.readMaxMs, 0)}${f.readsFailed ? ` (${f.readsFailed} failed)` : ''} | ${fmt(f.rssStartMiB)} → ${fmt(f.rssPeakMiB)} | ${f.unsubscribeMs === null ? 'did not return in 15 s' : fmt(f.unsubscribeMs, 0)} | ${f.afterUnsubscribe} |`,
    );
  }
  return lines.join('\n');
}
