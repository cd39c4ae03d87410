/**
 * Bond removal through bluetoothctl (what pygatt's clear_bond does), driven over pipes with
 * validated addresses only. bluetoothctl has no adapter option, so the conversation selects
 * the adapter first; `version` serves as the end marker of the paired-devices list.
 */
import { spawn } from 'node:child_process';
import { BackendError, NotFoundError, TimeoutError, normalizeAddress } from '../../core/index.js';
import { stripAnsi } from './parser.js';

const ADDR = '[0-9A-F]{2}(?::[0-9A-F]{2}){5}';

/** Addresses in `paired-devices` output ('Device AA:BB:CC:DD:EE:FF name'). */
export function parsePairedDevices(output: string): string[] {
  const out = new Set<string>();
  for (const line of stripAnsi(output).split(/[\r\n]+/)) {
    const m = new RegExp(`^(?:\\[[^\\]]*\\][#>] *)?Device (${ADDR})\\b`, 'i').exec(line.trim());
    if (m) out.add(normalizeAddress(m[1] as string));
  }
  return [...out];
}

/** Removes the bond (and BlueZ's device record) of `address`, or of every paired device. */
export async function removeBonds(
  adapterAddress: string,
  address: string | undefined,
  timeoutMs: number,
  bluetoothctl = 'bluetoothctl',
): Promise<string[]> {
  const ctrl = normalizeAddress(adapterAddress);
  const target = address === undefined ? undefined : normalizeAddress(address);
  const child = spawn(bluetoothctl, [], { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  let seen = 0;
  let waiter: { re: RegExp; resolve: (m: RegExpExecArray) => void } | undefined;
  const check = (): void => {
    if (!waiter) return;
    const m = waiter.re.exec(stripAnsi(output.slice(seen)));
    if (m) {
      seen = output.length;
      const w = waiter;
      waiter = undefined;
      w.resolve(m);
    }
  };
  const exited = new Promise<never>((_r, reject) => {
    child.once('error', (e) =>
      reject(new NotFoundError(`bluetoothctl could not run: ${e.message}`, { cause: e })),
    );
    child.once('exit', () =>
      reject(new BackendError(`bluetoothctl exited early: ${stripAnsi(output).slice(-500)}`)),
    );
  });
  exited.catch(() => undefined);
  child.stdin.on('error', () => undefined);
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (s: string) => {
    output += s;
    check();
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (s: string) => (output += s));
  const deadline = Date.now() + timeoutMs;
  const expect = (re: RegExp, what: string): Promise<RegExpExecArray> => {
    const p = new Promise<RegExpExecArray>((resolve) => {
      waiter = { re, resolve };
      check();
    });
    return new Promise((resolve, reject) => {
      const t = setTimeout(
        () =>
          reject(
            new TimeoutError(
              `bluetoothctl: no ${what} within ${timeoutMs} ms: ${stripAnsi(output).slice(-500)}`,
            ),
          ),
        Math.max(0, deadline - Date.now()),
      );
      Promise.race([p, exited]).then(
        (m) => (clearTimeout(t), resolve(m)),
        (e: unknown) => (clearTimeout(t), reject(e)),
      );
    });
  };
  const send = (line: string): void => void child.stdin.write(line + '\n');
  try {
    send('version');
    await expect(/Version \S+/, 'start');
    send(`select ${ctrl}`);
    send('version');
    const sel = await expect(/(Controller \S+ not available)|Version \S+/, 'select');
    if (sel[1]) throw new NotFoundError(`bluetoothctl: ${sel[1]}`);
    let targets: string[];
    if (target) targets = [target];
    else {
      const start = output.length;
      send('paired-devices');
      send('version');
      await expect(/Version \S+/, 'paired-devices');
      targets = parsePairedDevices(output.slice(start));
    }
    for (const a of targets) {
      send(`remove ${a}`);
      const r = await expect(
        new RegExp(
          `Device has been removed|Device ${a} not available|Failed to remove device[^\\n]*`,
          'i',
        ),
        `answer to remove ${a}`,
      );
      if (/Failed/i.test(r[0])) throw new BackendError(`bluetoothctl: ${r[0]} (${a})`);
    }
    return targets;
  } finally {
    send('quit');
    const t = setTimeout(() => child.kill('SIGKILL'), 2000);
    await exited.catch(() => undefined);
    clearTimeout(t);
  }
}
