// Starting `blekit serve` and running other blekit commands as child processes in the lab.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { btmgmt, run, type ProcResult } from '../../support/proc.js';
import { blekitBin } from '../../support/bin.js';

/** Parsed CLI output; tests check it field by field. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export const cli = blekitBin;
export const FIXTURE = fileURLToPath(
  new URL('../../../../examples/heart-rate.yaml', import.meta.url),
);

/** Runs blekit with these arguments (no shell), killing it after timeoutMs. */
export function blekit(args: string[], timeoutMs = 90_000): Promise<ProcResult> {
  return run(process.execPath, [cli, ...args], timeoutMs);
}

/** Parses the --json envelope of a one-shot command. */
export function envelope(r: ProcResult): { result: string; value?: Json; reason?: string } {
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line);
  } catch {
    throw new Error(`not JSON (exit ${r.code}): ${r.stdout}\nstderr: ${r.stderr}`);
  }
}

export interface Served {
  child: ChildProcess;
  events: Json[];
  stderr: () => string;
  /** Ctrl-C, then waits for the exit code. */
  stop(): Promise<number | null>;
}

/** Starts `blekit serve <spec> --json` and resolves once it says it is ready (advertising). */
export async function serve(spec: string, adapter = 'hci1', timeoutMs = 60_000): Promise<Served> {
  const child = spawn(process.execPath, [cli, 'serve', spec, '--adapter', adapter, '--json'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const events: Json[] = [];
  let err = '';
  let buf = '';
  const exited = new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  child.stderr?.on('data', (b: Buffer) => (err += b.toString()));
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`serve not ready in ${timeoutMs} ms: ${err}`)),
      timeoutMs,
    );
    child.stdout?.on('data', (b: Buffer) => {
      buf += b.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        const ev = JSON.parse(line);
        events.push(ev);
        if (ev.event === 'ready') {
          clearTimeout(timer);
          resolve();
        }
      }
    });
    void exited.then((c) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${c} before ready: ${err}`));
    });
  });
  const served: Served = {
    child,
    events,
    stderr: () => err,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGINT');
      const kill = setTimeout(() => child.kill('SIGKILL'), 20_000);
      const code = await exited;
      clearTimeout(kill);
      return code;
    },
  };
  try {
    await ready;
  } catch (e) {
    await served.stop();
    throw e;
  }
  return served;
}

export async function until(
  check: () => boolean | Promise<boolean>,
  ms: number,
  what: string,
): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * Runs `fn` while hci1 re-announces itself every second or two. btvirt sends one report per
 * advertising enable, and the kernel drops a report that lands before its discovery state says
 * "finding", so a scan started after the peer began advertising can miss it for good. A second
 * connectable advertising instance (5, the last of the five a legacy controller allows) makes
 * the kernel rotate instances, and every rotation is a fresh enable, hence a fresh report.
 */
export async function whileReadvertising<T>(fn: () => Promise<T>): Promise<T> {
  const out = await btmgmt(['-i', 'hci1', 'add-adv', '-c', '-D', '1', '5']);
  if (!/Instance added/i.test(out)) throw new Error(`btmgmt add-adv: ${out.trim()}`);
  try {
    return await fn();
  } finally {
    await btmgmt(['-i', 'hci1', 'rm-adv', '5']);
  }
}
