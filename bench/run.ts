// `npm run bench`: boots the lab once, runs bench/lab.ts inside it, and writes the table
// (stdout), bench/results/latest.json and bench/results/latest.svg.
// --from FILE re-aggregates the records of an earlier run's output instead of booting.
// BLEKIT_BENCH_QUICK=1 (shorter, one round) and BLEKIT_BENCH_ONLY=a,b pass into the VM, as do
// BLEKIT_BENCH_ADV_BURST (advertisements per scan-rate burst) and BLEKIT_BENCH_ADV_PACE (at most
// that many a second; unset: as fast as the advertiser goes).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chartSvg } from './chart.js';
import { hostMachine, labRecords } from './lab-records.js';
import { RECORD_MARK } from './protocol.js';
import {
  LABELS,
  LIBRARIES,
  PEERS,
  advertiserSide,
  aggregate,
  floodTable,
  markdownTable,
  peripheralSide,
  targets,
  type RunRecord,
} from './report.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const resultsDir = `${root}bench/results`;

function parseRecords(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .map((l) => l.replace(/\r$/, ''))
    .filter((l) => l.startsWith(RECORD_MARK))
    .map((l) => JSON.parse(l.slice(RECORD_MARK.length)) as Record<string, unknown>);
}

async function collect(): Promise<string> {
  const from = process.argv.indexOf('--from');
  if (from > 0) return readFileSync(process.argv[from + 1] as string, 'utf8');
  const lines = await labRecords(
    { command: [process.execPath, `${root}dist/bench/lab.js`], cwd: root, timeoutSec: 45 * 60 },
    'bench-records.jsonl',
  );
  return lines.map((l) => RECORD_MARK + l).join('\n');
}

function dpkgVersion(p: string): string {
  const dpkg = readFileSync('/var/lib/dpkg/status', 'utf8');
  return new RegExp(`\nPackage: ${p}\n(?:[^\n]+\n)*?Version: (\\S+)`).exec(dpkg)?.[1] ?? '';
}

const records = parseRecords(await collect());
const env = records.find((r) => r.kind === 'environment') ?? {};
const runs = records.filter((r) => r.kind === 'run') as unknown as RunRecord[];
const rows = aggregate(runs);
const present = LIBRARIES.filter((l) =>
  runs.some((r) => r.phase === 'main' && r.client === l && r.result),
);
const versions: Record<string, string> = {};
for (const r of runs) if (r.result?.version) versions[r.client] = r.result.version;
const side = peripheralSide(runs);
const advertiser = advertiserSide(runs);
const goals = targets(rows, runs);
const errors = runs
  .filter((r) => !r.result || r.result.errors.length)
  .map((r) => ({
    phase: r.phase,
    client: r.client,
    round: r.round,
    errors: r.result?.errors ?? [],
    stderr: r.stderr,
  }));

const table = markdownTable(rows, present);
const sideTable = [
  '| peripheral (central: blekit, D-Bus, Acquire*) | notifications/s delivered | lost |',
  '|---|---|---|',
  ...side.map(
    (s) =>
      `| ${s.peripheral} | ${s.deliveredPerSec === null ? '—' : s.deliveredPerSec.toFixed(0)} | ${s.lostTotal} over ${s.runs} runs |`,
  ),
].join('\n');
const flood = floodTable(runs);
const advertiserLine = advertiser
  .map(
    (a) =>
      `${LABELS[a.client] ?? a.client}: ${a.sent ?? '—'} sent at ${a.sentPerSec === null ? '—' : a.sentPerSec.toFixed(0)}/s${a.errors.length ? ` (${a.errors.length} bursts failed)` : ''}`,
  )
  .join('; ');
const targetLines = goals
  .map(
    (t) =>
      `- ${t.met === null ? 'not measured' : t.met ? 'met' : 'MISSED'}: ${t.what} (${t.detail})`,
  )
  .join('\n');

const json = {
  generated: new Date().toISOString(),
  machine: {
    host: hostMachine(),
    vm: env,
  },
  versions: {
    ...versions,
    bluez: dpkgVersion('bluez'),
    'python3-bleak': dpkgVersion('python3-bleak'),
  },
  method:
    "Medians over rounds that interleave the libraries in one lab boot; blekit = D-Bus backend with Acquire*. Ratios are blekit / peer (for the windowed rows against the peer's sequential figure). " +
    "Scan rate (advRate): after its other tests the client scans with duplicates allowed while the harness sends a burst of advertisements from hci1 through mgmt AddAdvertising, one advertising enable each (btvirt sends one report per enable and never repeats it), each with the next counter in its manufacturer data (company 0xffff); the row is distinct counters the library surfaced per second from the first advertisement sent to the later of the last sent and the last surfaced, and advLost is sent minus surfaced. The advertiser section gives what was sent and how fast, so a rate at the advertiser's own shows the advertiser was the limit. node-ble is not in these rows: it has no per-advertisement callback (getManufacturerData() would sample, not count); gatttool cannot scan.",
  libraries: present,
  peers: PEERS.filter((p) => present.includes(p)),
  rows: rows.map((r) => ({ ...r })),
  peripheralSide: side,
  advertiser,
  targets: goals,
  errors,
  runs,
};
mkdirSync(resultsDir, { recursive: true });
writeFileSync(`${resultsDir}/latest.json`, JSON.stringify(json, null, 2) + '\n');
writeFileSync(
  `${resultsDir}/latest.svg`,
  chartSvg(
    rows,
    `blekit vs peers, one lab boot, ${String(env.date ?? '').slice(0, 10)} (medians)`,
    present,
  ),
);
process.stdout.write(
  `${table}\n\nAdvertisement bursts (advertiser, per client): ${advertiserLine || 'none'}\n\n${sideTable}\n\n${flood}\n\nTargets (ratios to bleak):\n${targetLines}\n`,
);
if (errors.length) {
  process.stdout.write(`\nRuns with errors:\n`);
  for (const e of errors)
    process.stdout.write(`- ${e.phase} ${e.client} #${e.round}: ${e.errors.join(' | ')}\n`);
}
process.stdout.write(`\nWrote bench/results/latest.json and bench/results/latest.svg\n`);
