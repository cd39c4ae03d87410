// `npm run bench:startup`: how long blekit takes to start, against bare `node` in the same run.
// Each round runs every case once, in turn, so load on the machine hits them alike; the table
// gives the median wall time, its ratio to the bare-node baseline, and the files each case opens
// (from strace, when installed). `--lab` runs the same inside the lab VM, whose 9p mount makes
// every opened file expensive, like a Pi's SD card. `--rounds N` (default 15).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runLab } from '../lab/index.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { bin: { blekit: string } };
/** The command as installed: the package's bin. */
const cli = `${root}${pkg.bin.blekit}`;
const node = process.execPath;
const esm = (code: string): string[] => ['--input-type=module', '-e', code];

interface Case {
  name: string;
  args: string[];
  /** The case this one is compared with, and the ratio the issue asks for. */
  base?: string;
  target?: number;
}

const CASES: Case[] = [
  { name: 'node -e 0', args: ['-e', '0'] },
  { name: 'blekit --version', args: [cli, '--version'], base: 'node -e 0', target: 1.5 },
  { name: 'blekit --help', args: [cli, '--help'], base: 'node -e 0', target: 1.5 },
  { name: 'blekit mgmt list', args: [cli, 'mgmt', 'list'], base: 'node -e 0' },
  { name: 'node (ESM) -e 0', args: esm('0') },
  {
    name: "import('blekit/central')",
    args: esm("await import('blekit/central')"),
    base: 'node (ESM) -e 0',
    target: 1.5,
  },
  {
    name: "import('blekit')",
    args: esm("await import('blekit')"),
    base: 'node (ESM) -e 0',
    target: 2,
  },
];

function once(c: Case): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(node, c.args, { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${c.name} failed (${r.status}): ${String(r.stderr)}`);
  return ms;
}

/** Files the case opens that exist (node's own probing for absent ones is not counted). */
function filesOpened(c: Case): number | undefined {
  const r = spawnSync('strace', ['-f', '-e', 'trace=openat', node, ...c.args], {
    cwd: root,
    encoding: 'utf8',
  });
  if (r.error || r.status !== 0) return undefined;
  return r.stderr
    .split('\n')
    .filter((l) => /\.(?:js|mjs|cjs|json|node)"/.test(l) && !l.includes('ENOENT')).length;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

function measure(rounds: number): void {
  const times = new Map<string, number[]>(CASES.map((c) => [c.name, []]));
  for (const c of CASES) once(c); // warm the page cache for every case alike
  for (let i = 0; i < rounds; i++) for (const c of CASES) times.get(c.name)!.push(once(c));
  const med = new Map([...times].map(([k, v]) => [k, median(v)]));
  console.log(`| case | median ms | ratio | target | files opened |`);
  console.log(`| ---- | --------: | ----: | -----: | -----------: |`);
  for (const c of CASES) {
    const m = med.get(c.name)!;
    const ratio = c.base ? (m / med.get(c.base)!).toFixed(2) : '';
    const target = c.target ? `≤ ${c.target}` : '';
    console.log(
      `| ${c.name} | ${m.toFixed(0)} | ${ratio} | ${target} | ${filesOpened(c) ?? '?'} |`,
    );
  }
  console.log(`\n${rounds} rounds, node ${process.version}, ${process.arch}`);
}

const at = process.argv.indexOf('--rounds');
const rounds = at > 0 ? Number(process.argv[at + 1]) : 15;
if (process.argv.includes('--lab') && process.env.BLEKIT_IN_LAB !== '1') {
  const res = await runLab({
    command: [node, fileURLToPath(import.meta.url), '--rounds', String(rounds)],
    cwd: root,
    timeoutSec: 30 * 60,
  });
  process.exitCode = res.exitCode;
} else {
  measure(rounds);
}
