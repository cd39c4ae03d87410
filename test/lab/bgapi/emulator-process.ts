// Runs `blekit bgapi-emulator` as its own process, as a user would, and hands out its pty.
import { spawn, type ChildProcess } from 'node:child_process';
import { after } from 'node:test';
import { blekitBin } from '../../support/bin.js';

const CLI = blekitBin;
const log: string[] = [];

export interface Emulator {
  child: ChildProcess;
  /** The pty the emulated dongle answers on. */
  path: string;
  /** SIGTERM, SIGKILL after 10 s; resolves once the process has exited. */
  stop(): Promise<void>;
}

/**
 * Starts the emulator and resolves once it names its pty ("pty: /dev/pts/N"). `trace` logs
 * every BGAPI exchange (for a test's post-mortem; the bench leaves it off, as it costs CPU).
 */
export function startEmulator(options: { trace?: boolean } = {}): Promise<Emulator> {
  const args = [CLI, 'bgapi-emulator', '--adapter', 'hci0', ...(options.trace ? ['--trace'] : [])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(kill);
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`bgapi-emulator did not start in 60 s:\n${log.join('\n')}`));
    }, 60_000);
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (s: string) => {
      log.push(...s.trimEnd().split('\n'));
      if (log.length > 400) log.splice(0, log.length - 400);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`bgapi-emulator exited (${code}):\n${log.join('\n')}`));
    });
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (s: string) => {
      const m = /pty: (\S+)/.exec(s);
      if (m) {
        clearTimeout(timer);
        resolve({ child, path: m[1] as string, stop });
      }
    });
  });
}

/**
 * In the lab: starts the emulator for this test file, stops it (and prints the tail of its
 * trace) after the file's tests. Outside the lab: a path that fails, so assertInLab() speaks.
 */
export async function emulatorForThisFile(): Promise<string> {
  if (process.env.BLEKIT_IN_LAB !== '1') return '/dev/null/no-emulator-outside-the-lab';
  const emu = await startEmulator({ trace: true });
  after(async () => {
    await emu.stop();
    console.log(`# emulator trace (last ${Math.min(log.length, 60)} lines):`);
    for (const l of log.slice(-60)) console.log(`#   ${l}`);
  });
  return emu.path;
}
