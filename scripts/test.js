#!/usr/bin/env node
// Runs the unit tests on the host, the package tests (the packed tarball installed as a
// consumer would, the prebuilt ARM addons under qemu-user), then every lab test in one VM
// boot, and closes with one combined summary line that CI can read.
// Usage: node scripts/test.js [unit|package|lab] [-- extra node --test args]
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { runLab } from '../dist/lab/index.js';

const PHASES = ['unit', 'package', 'lab'];
const which = PHASES.includes(process.argv[2]) ? process.argv[2] : 'all';
const TEST_ARGS = ['--test', '--test-reporter=spec', '--test-concurrency=1'];

/** Reads node's spec reporter closing lines ("ℹ pass 3") from captured output. */
function counts(raw) {
  // The VM console is a terminal, so the reporter colours its output.
  const text = raw.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g'), '');
  const get = (k) => {
    const m = [...text.matchAll(new RegExp(`^ℹ ${k} (\\d+)\\s*$`, 'gm'))].pop();
    return m ? Number(m[1]) : 0;
  };
  const seen = /^ℹ tests \d+/m.test(text);
  return {
    seen,
    passed: get('pass'),
    failed: get('fail') + get('cancelled'),
    skipped: get('skipped') + get('todo'),
  };
}

/**
 * Runs one folder of host tests; `concurrency` files at a time. `held` keeps the output until
 * the caller prints it, for a phase that runs beside another.
 */
function runHost(dir, concurrency, held = false) {
  return new Promise((resolve) => {
    const chunks = [];
    const child = spawn(
      process.execPath,
      [...TEST_ARGS, `--test-concurrency=${concurrency}`, dir],
      {
        stdio: ['ignore', 'pipe', held ? 'pipe' : 'inherit'],
      },
    );
    child.stdout.on('data', (b) => {
      if (!held) process.stdout.write(b);
      chunks.push(b);
    });
    child.stderr?.on('data', (b) => chunks.push(b));
    child.on('exit', (code) => {
      const text = Buffer.concat(chunks).toString();
      resolve({ code: code ?? 1, text: held ? text : '', ...counts(text) });
    });
  });
}

async function runLabTests() {
  const chunks = [];
  const r = await runLab({
    command: [
      process.execPath,
      '--import',
      './dist/test/support/lab-file-setup.js',
      ...TEST_ARGS,
      '--test-timeout=900000',
      'dist/test/lab/',
    ],
    timeoutSec: Number(process.env.BLEKIT_LAB_TIMEOUT ?? 70 * 60),
    output: (b) => {
      process.stdout.write(b);
      chunks.push(b);
    },
  });
  return { code: r.exitCode, ...counts(Buffer.concat(chunks).toString()) };
}

if (!existsSync('dist/test')) {
  console.error('dist/test is missing: run "npm run build" first');
  process.exit(2);
}
const results = [];
const run = (phase) => which === 'all' || which === phase;
if (run('unit')) results.push(['unit', await runHost('dist/test/unit/', 2)]);
// The package tests wait mostly on npm and the registry, the lab on its VM: in a full run they
// go side by side (the package output follows the lab's), so a full run takes about as long as the lab.
const alongside = run('package') && run('lab');
const pkg = run('package') ? runHost('dist/test/package/', 1, alongside) : undefined;
if (run('lab')) {
  const lab = await runLabTests();
  if (pkg) {
    const r = await pkg;
    process.stdout.write(`\n=== package tests (ran beside the lab) ===\n${r.text}`);
    results.push(['package', r]);
  }
  results.push(['lab', lab]);
} else if (pkg) {
  results.push(['package', await pkg]);
}

let passed = 0;
let failed = 0;
let skipped = 0;
let ok = true;
for (const [name, r] of results) {
  passed += r.passed;
  failed += r.failed;
  skipped += r.skipped;
  // A run that exits non-zero without any failing test (boot failure, crash) still fails.
  if (r.code !== 0 || !r.seen) {
    ok = false;
    if (r.failed > 0 && r.seen) continue;
    failed += 1;
    console.log(`${name} tests did not complete (exit ${r.code}${r.seen ? '' : ', no summary'})`);
  }
}
console.log(`\ntests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(ok && failed === 0 ? 0 : 1);
