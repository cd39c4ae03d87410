import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConsoleParser } from './console.js';
import { ensureKernelFiles } from './kernel.js';
import { ensurePackages } from './requirements.js';
import { acquireSlot } from './slots.js';

/** How runLab() boots the lab VM and what it runs there; times are in seconds. */
export interface LabOptions {
  /** argv of the command to run inside the VM (ignored for shell mode). */
  command: string[];
  /** 'run' (default) runs `command`; 'shell' gives an interactive shell on this terminal. */
  mode?: 'run' | 'shell';
  /** Number of virtual LE controllers, hci0..hciN-1; default 2. */
  controllers?: number;
  /** Wall-clock limit for the whole run, boot included, in seconds; default 1800. */
  timeoutSec?: number;
  /** Limit for reaching "ready" (controllers powered, bluetoothd on D-Bus); default 120 s. */
  bootTimeoutSec?: number;
  /** Names of host environment variables to pass into the VM, or NAME=VALUE pairs. */
  env?: string[];
  /** Working directory inside the VM; the same path as on the host. */
  cwd?: string;
  /** The project shared at the same path (defaults to cwd). */
  project?: string;
  /** Where runs keep their logs; default <project>/.lab/runs. */
  runsDir?: string;
  /** Keep the run's logs even when it succeeds. */
  keep?: boolean;
  /** The VM's memory in MiB; default 2048. */
  memoryMiB?: number;
  /** Progress and diagnostics; default stderr. */
  log?: (line: string) => void;
  /** Receives the command's output; default process.stdout. */
  output?: (chunk: Buffer) => void;
}

/** How a lab run ended. */
export interface LabResult {
  /**
   * The command's exit code. Without one: 124 when the wall-clock limit ended the run, 125
   * when the VM stopped by itself.
   */
  exitCode: number;
  /** Seconds from start to "ready". */
  readySec: number | null;
  /** Seconds the whole run took. */
  totalSec: number;
  /** Present when the run's logs were kept. */
  runDir: string | null;
  /** The wall-clock limit (`timeoutSec`) powered the VM off. */
  timedOut: boolean;
}

const here = dirname(fileURLToPath(import.meta.url));
/** lab/guest lives beside the compiled lab/ (dist/lab -> ../../lab/guest) or beside the sources. */
export function guestDir(): string {
  for (const d of [join(here, 'guest'), join(here, '..', '..', 'lab', 'guest')]) {
    if (existsSync(join(d, 'stage2.sh'))) return d;
  }
  throw new Error('lab/guest scripts not found');
}

/** Variables always passed through: CI markers and the project's own knobs. */
const DEFAULT_ENV = /^(CI|BLEKIT_[A-Z0-9_]+|NODE_OPTIONS|FORCE_COLOR|NO_COLOR|DEBUG)$/;

function envEntries(names: string[]): string[] {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && DEFAULT_ENV.test(k)) out.set(k, v);
  }
  for (const n of names) {
    const eq = n.indexOf('=');
    if (eq > 0) out.set(n.slice(0, eq), n.slice(eq + 1));
    else if (process.env[n] !== undefined) out.set(n, process.env[n]!);
  }
  return [...out].map(([k, v]) => `${k}=${v}`);
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** LabOptions with every default applied. */
type Resolved = Required<
  Pick<LabOptions, 'log' | 'output' | 'mode' | 'controllers' | 'timeoutSec' | 'bootTimeoutSec'>
> & { cwd: string; project: string };

function withDefaults(opts: LabOptions): Resolved {
  const cwd = resolve(opts.cwd ?? process.cwd());
  return {
    log: opts.log ?? ((l: string) => process.stderr.write(`[lab] ${l}\n`)),
    output: opts.output ?? ((b: Buffer) => process.stdout.write(b)),
    mode: opts.mode ?? 'run',
    controllers: opts.controllers ?? 2,
    timeoutSec: opts.timeoutSec ?? 30 * 60,
    bootTimeoutSec: opts.bootTimeoutSec ?? 120,
    cwd,
    project: resolve(opts.project ?? cwd),
  };
}

/**
 * Boots a QEMU VM with `controllers` virtual LE controllers and bluetoothd, runs `command` in
 * it with the project shared at the same path, and resolves when the VM is gone. Waits for a
 * free VM slot first (a few may run machine-wide). A failing command does not reject: read
 * `exitCode`.
 * @throws LabSetupError when host packages are missing (and this is not root to install them),
 * the kernel and initramfs cannot be prepared, or no VM slot frees up within 45 minutes.
 */
export async function runLab(opts: LabOptions): Promise<LabResult> {
  const o = withDefaults(opts);
  ensurePackages(o.log);
  const guest = guestDir();
  const kernel = ensureKernelFiles(join(guest, 'init.sh'), o.log);
  const slot = await acquireSlot(o.log);
  try {
    return await boot(opts, o, guest, kernel);
  } finally {
    slot.release();
  }
}

async function boot(
  opts: LabOptions,
  o: Resolved,
  guest: string,
  kernel: { version: string; vmlinuz: string; initramfs: string },
): Promise<LabResult> {
  const { log, output, mode, controllers, timeoutSec, bootTimeoutSec, cwd, project } = o;
  const t0 = Date.now();
  const secs = () => ((Date.now() - t0) / 1000).toFixed(1);

  const runsDir = resolve(
    opts.runsDir ?? process.env.BLEKIT_LAB_RUNS ?? join(project, '.lab', 'runs'),
  );
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const runDir = join(runsDir, `${stamp}-${process.pid}`);
  mkdirSync(runDir, { recursive: true });
  copyFileSync(join(guest, 'stage2.sh'), join(runDir, 'stage2.sh'));
  const cmdTimeout = Math.max(10, timeoutSec - 45);
  const config = {
    LAB_READY_TIMEOUT: String(Math.max(10, bootTimeoutSec - 30)),
    LAB_PROJECT: project,
    LAB_CWD: cwd,
    LAB_MODE: mode,
    LAB_CONTROLLERS: String(controllers),
    LAB_CMD_TIMEOUT: String(cmdTimeout),
    LAB_BTMON_TEXT: process.env.BLEKIT_LAB_BTMON_TEXT ?? '1',
    LAB_BLUETOOTHD_DEBUG: process.env.BLEKIT_LAB_BLUETOOTHD_DEBUG ?? '0',
  };
  writeFileSync(
    join(runDir, 'config'),
    Object.entries(config)
      .map(([k, v]) => `${k}=${shellQuote(v)}\n`)
      .join(''),
  );
  writeFileSync(join(runDir, 'argv'), opts.command.map((a) => `${a}\0`).join(''));
  writeFileSync(
    join(runDir, 'env'),
    envEntries(opts.env ?? [])
      .map((e) => `${e}\0`)
      .join(''),
  );

  const accel = process.env.BLEKIT_LAB_ACCEL ?? 'tcg';
  const ninep = 'security_model=none,multidevs=remap';
  const args = [
    '-accel',
    accel,
    '-cpu',
    accel === 'tcg' ? 'max' : 'host',
    '-smp',
    process.env.BLEKIT_LAB_CPUS ?? '2',
    '-m',
    String(opts.memoryMiB ?? 2048),
    '-kernel',
    kernel.vmlinuz,
    '-initrd',
    kernel.initramfs,
    '-append',
    'console=ttyS0 quiet loglevel=1 panic=-1 rdinit=/init',
    '-no-reboot',
    '-nodefaults',
    '-display',
    'none',
    '-virtfs',
    `local,path=/,mount_tag=hostroot,readonly=on,${ninep}`,
    '-virtfs',
    `local,path=${runDir},mount_tag=job,${ninep}`,
    '-virtfs',
    `local,path=${project},mount_tag=project,readonly=on,${ninep}`,
  ];
  if (mode === 'shell') args.push('-serial', 'mon:stdio');
  else args.push('-serial', 'stdio', '-monitor', 'none');

  log(`booting ${kernel.version} with ${controllers} controllers (run dir ${runDir})`);
  const child = spawn('qemu-system-x86_64', args, {
    stdio: mode === 'shell' ? 'inherit' : ['ignore', 'pipe', 'pipe'],
  });

  let readySec: number | null = null;
  let timedOut = false;
  let exitFromMarker: number | null = null;
  let fatal: string | null = null;
  const bootLog: string[] = [];

  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  const wall = setTimeout(() => {
    timedOut = true;
    log(`wall-clock limit of ${timeoutSec}s reached: powering the VM off`);
    kill();
  }, timeoutSec * 1000);
  const bootTimer = setTimeout(() => {
    if (readySec === null) {
      timedOut = true;
      log(`the lab was not ready after ${bootTimeoutSec}s: powering the VM off`);
      kill();
    }
  }, bootTimeoutSec * 1000);
  const onSignal = (sig: NodeJS.Signals) => {
    log(`${sig}: powering the VM off`);
    kill();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const parser = new ConsoleParser({
    progress: (msg) => {
      if (msg.startsWith('ready')) readySec = (Date.now() - t0) / 1000;
      log(`${secs()}s ${msg}`);
    },
    fatal: (msg) => {
      fatal = msg;
      log(`boot failed: ${msg}`);
    },
    bootLine: (line) => bootLog.push(line),
    // latin1 keeps every byte as one char, so output passes through unchanged.
    output: (text) => output(Buffer.from(text, 'latin1')),
    exit: (c) => (exitFromMarker = c),
  });
  if (child.stdout) {
    let quiet: NodeJS.Timeout | null = null;
    child.stdout.setEncoding('latin1');
    child.stdout.on('data', (chunk: string) => {
      parser.push(chunk);
      if (quiet) clearTimeout(quiet);
      quiet = setTimeout(() => parser.flush(), 50);
    });
  }
  child.stderr?.on('data', (b: Buffer) => bootLog.push(b.toString().trimEnd()));

  const code: number | null = await new Promise((res) => {
    child.on('exit', (c) => res(c));
    child.on('error', (e) => {
      log(`cannot start qemu: ${e.message}`);
      res(null);
    });
  });
  clearTimeout(wall);
  clearTimeout(bootTimer);
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);

  let exitCode: number;
  const rcFile = join(runDir, 'rc');
  if (mode === 'shell' && existsSync(rcFile))
    exitCode = Number(readFileSync(rcFile, 'utf8').trim());
  else if (exitFromMarker !== null) exitCode = exitFromMarker;
  else exitCode = timedOut ? 124 : 125;
  if (exitFromMarker === null && mode === 'run') {
    if (!timedOut && !fatal) log(`the VM stopped (qemu exit ${code}) before the command finished`);
    writeFileSync(join(runDir, 'console.txt'), bootLog.join('\n') + '\n');
    if (readySec === null && bootLog.length) {
      log('last console lines:\n' + bootLog.slice(-20).join('\n'));
    }
  }
  const totalSec = (Date.now() - t0) / 1000;
  const keep = opts.keep || exitCode !== 0 || process.env.BLEKIT_LAB_KEEP === '1';
  if (keep) {
    log(`run ${exitCode === 0 ? 'kept' : `failed (exit ${exitCode})`}; logs in ${runDir}:`);
    for (const [f, what] of [
      ['bluetoothd.log', "bluetoothd's log"],
      ['hci.btsnoop', 'HCI trace (btsnoop, opens in Wireshark)'],
      ['btmon.txt', 'HCI trace decoded by btmon'],
      ['dmesg.txt', 'kernel log'],
      ['console.txt', 'VM console'],
    ] as const) {
      if (existsSync(join(runDir, f))) log(`  ${join(runDir, f)}  ${what}`);
    }
  } else {
    rmSync(runDir, { recursive: true, force: true });
  }
  log(
    `done in ${totalSec.toFixed(1)}s` +
      (readySec !== null ? ` (ready after ${(readySec as number).toFixed(1)}s)` : ''),
  );
  return { exitCode, readySec, totalSec, runDir: keep ? runDir : null, timedOut };
}
