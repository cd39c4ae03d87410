// A conformance peer running as a child process that speaks a line protocol on stdin/stdout:
// commands "adv on", "adv off", "quit", each answered "ok <cmd>" or "err <cmd> <reason>";
// "ready" once its GATT application is registered ("err register ..." if that failed).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { AdvertisingData } from '../../../../src/core/index.js';
import type { ConformancePeer } from '../peer.js';

export interface LinePeerOptions {
  name: string;
  address: string;
  hci: string;
  /** Program and arguments (no shell). */
  argv: [string, ...string[]];
  checkAdvertisement(ad: AdvertisingData, name: string | undefined): void;
}

/** A line peer that can also be killed outright and watched for lines of its own. */
export interface LinePeer extends ConformancePeer {
  /** Sends `signal` (default SIGKILL) and resolves once the process is gone. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Resolves with the next output line starting with `prefix` (or with any of several). */
  expectLine(prefix: string | string[], ms: number): Promise<string>;
  /** Everything the peer printed so far. */
  readonly output: string;
}

export function linePeer(o: LinePeerOptions): LinePeer {
  let child: ChildProcessWithoutNullStreams | undefined;
  let output = '';
  const waiters: { prefixes: string[]; resolve: (line: string) => void }[] = [];

  // One waiter (and one timer) for all the lines that may answer: a race of one waiter per line
  // left the losers' timers running, and those held every test file's process open for up to
  // 90 s after its last test.
  const expectLine = (prefix: string | string[], ms: number): Promise<string> =>
    new Promise((resolve, reject) => {
      const prefixes = typeof prefix === 'string' ? [prefix] : prefix;
      const w = { prefixes, resolve: (l: string) => (clearTimeout(t), resolve(l)) };
      const t = setTimeout(() => {
        waiters.splice(waiters.indexOf(w), 1);
        reject(
          new Error(`peer: no "${prefixes.join('" or "')}" within ${ms} ms; output:\n${output}`),
        );
      }, ms);
      waiters.push(w);
    });

  const command = async (cmd: string): Promise<void> => {
    if (!child) throw new Error('peer not started');
    const answer = expectLine([`ok ${cmd}`, `err ${cmd}`], 30_000);
    child.stdin.write(cmd + '\n');
    const line = await answer;
    if (line.startsWith('err')) throw new Error(`peer: ${line}`);
  };

  let advertising = false;
  return {
    name: o.name,
    address: o.address,
    hci: o.hci,
    async start() {
      const [cmd, ...args] = o.argv;
      child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
      child.stderr.on('data', (b: Buffer) => (output += b.toString()));
      createInterface({ input: child.stdout }).on('line', (line) => {
        output += line + '\n';
        // Which server-side path carried a subscription (AcquireNotify socket or D-Bus), and
        // when it ended: what to look at first when a stream stalls.
        if (/^(subscribed via|unsubscribed|credits for)/.test(line))
          console.log(`# ${o.name}: ${line}`);
        const i = waiters.findIndex((w) => w.prefixes.some((p) => line.startsWith(p)));
        if (i >= 0) waiters.splice(i, 1)[0]?.resolve(line);
      });
      // A Node peer imports the whole peripheral stack: in the emulated VM under load that takes a while.
      const line = await expectLine(['ready', 'err register'], 90_000);
      if (!line.startsWith('ready')) throw new Error(`peer: ${line}\n${output}`);
    },
    async advertise(on: boolean) {
      if (on === advertising) {
        if (!on) return;
        // Re-enabling is how btvirt is made to send a fresh report.
        await command('adv off');
      }
      await command(on ? 'adv on' : 'adv off');
      advertising = on;
    },
    async stop() {
      const c = child;
      if (!c) return;
      if (advertising) await command('adv off').catch(() => undefined);
      advertising = false;
      const exited = new Promise<void>((r) => c.once('exit', () => r()));
      c.stdin.write('quit\n');
      const t = setTimeout(() => c.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(t);
      child = undefined;
    },
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      const c = child;
      if (!c) return;
      child = undefined;
      advertising = false;
      if (c.exitCode !== null || c.signalCode !== null) return;
      const exited = new Promise<void>((r) => c.once('exit', () => r()));
      c.kill(signal);
      await exited;
    },
    expectLine,
    get output() {
      return output;
    },
    checkAdvertisement: (ad, name) => o.checkAdvertisement(ad, name),
  };
}
