// Prints the README's benchmark table from bench/results/latest.json, so the figures in the
// README are the recorded ones: `node dist/bench/readme-table.js`.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface Row {
  id: string;
  label: string;
  unit: string;
  median: Record<string, number | null | undefined>;
  ratio: Record<string, number | null | undefined>;
}

/** The README's rows (ids from report.ts); latency rows are merged into "median / p95". */
const SHOWN: [id: string, label: string, digits: number][] = [
  ['connect', 'connect to services resolved (ms)', 0],
  ['read', 'sequential reads (ops/s)', 1],
  ['readMedian', 'read latency median / p95 (ms)', 1],
  ['write', 'writes with response (ops/s)', 1],
  ['wwr', 'writes without response, delivered (ops/s)', 0],
  ['notify', 'notifications, credit-paced, none lost (/s)', 0],
  ['cpu', 'client CPU per 1,000 notifications (ms)', 0],
  ['rss', 'client peak RSS (MiB)', 1],
  ['scan', 'scan: advertising enabled to first report (ms)', 0],
  ['advRate', 'scan: advertisements surfaced (/s)', 0],
  ['advLost', 'scan: advertisements never surfaced (per burst)', 0],
  ['readWindowed', 'reads, 4 characteristics in flight (ops/s)', 1],
  ['writeWindowed', 'writes with response, 4 in flight (ops/s)', 1],
];
const COLUMNS: [lib: string, label: string][] = [
  ['blekit', 'blekit'],
  ['blekit-dbus-next', 'blekit on dbus-next'],
  ['blekit-noacquire', 'blekit, Acquire* off'],
  ['bleak', 'bleak'],
  ['node-ble', 'node-ble'],
  ['gatttool', 'gatttool'],
  ['noble', 'noble'],
];

const num = (x: number | null | undefined, digits: number): string =>
  typeof x === 'number' ? x.toFixed(digits) : '';

export function readmeTable(rows: Row[]): string {
  const byId = new Map(rows.map((r) => [r.id, r]));
  const cols = COLUMNS.filter(([lib]) => rows.some((r) => typeof r.median[lib] === 'number'));
  const out = [
    `| row | ${cols.map(([, l]) => l).join(' | ')} | vs bleak |`,
    `|---|${cols.map(() => '---').join('|')}|---|`,
  ];
  for (const [id, label, digits] of SHOWN) {
    const r = byId.get(id);
    if (!r) continue;
    const p95 = id === 'readMedian' ? byId.get('readP95') : undefined;
    const cells = cols.map(([lib]) => {
      const m = num(r.median[lib], digits);
      return p95 && m ? `${m} / ${num(p95.median[lib], digits)}` : m;
    });
    const ratio = r.ratio.bleak;
    out.push(
      `| ${label} | ${cells.join(' | ')} | ${typeof ratio === 'number' ? `${ratio.toFixed(2)}x` : ''} |`,
    );
  }
  return out.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const file = new URL('../../bench/results/latest.json', import.meta.url);
  const { rows } = JSON.parse(readFileSync(file, 'utf8')) as { rows: Row[] };
  process.stdout.write(readmeTable(rows) + '\n');
}
