// The lab demo (npm run demo): the heart-rate peripheral on hci1 and the heart-rate central on
// hci0, each its own Node process, inside the virtual Bluetooth lab. Exits 0 only when the
// central printed live values and both sides ended cleanly.
//   node dist/src/cli/main.js lab run -- node dist/examples/lab-demo.js [--seconds 8]
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const HERE = dirname(fileURLToPath(import.meta.url));

interface Proc {
  child: ChildProcess;
  lines: string[];
  waitFor(re: RegExp, ms: number): Promise<string>;
  exited: Promise<number | null>;
}

/** Runs one example (argument array, no shell), echoing its output with a prefix. */
function runExample(tag: string, script: string, args: string[]): Proc {
  const child = spawn(process.execPath, [join(HERE, script), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const waiters: { re: RegExp; resolve: (l: string) => void }[] = [];
  const onLine = (line: string): void => {
    console.log(`[${tag}] ${line}`);
    lines.push(line);
    for (const w of waiters.splice(0)) {
      if (w.re.test(line)) w.resolve(line);
      else waiters.push(w);
    }
  };
  createInterface({ input: child.stdout! }).on('line', onLine);
  createInterface({ input: child.stderr! }).on('line', onLine);
  const exited = new Promise<number | null>((resolve) => {
    child.on('error', (e) => {
      console.log(`[${tag}] could not start: ${e.message}`);
      resolve(-1);
    });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? null : -1)));
  });
  return {
    child,
    lines,
    exited,
    waitFor(re, ms) {
      const seen = lines.find((l) => re.test(l));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`[${tag}] no ${re} within ${ms} ms`)), ms);
        waiters.push({ re, resolve: (l) => (clearTimeout(t), resolve(l)) });
        void exited.then(() => {
          clearTimeout(t);
          reject(new Error(`[${tag}] exited before printing ${re}`));
        });
      });
    },
  };
}

/** Waits for a process to end; kills it with `signal`, then SIGKILL, when it takes too long. */
async function ended(p: Proc, ms: number, signal: NodeJS.Signals = 'SIGKILL') {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), ms)));
  const first = await Promise.race([p.exited, late]);
  clearTimeout(timer);
  if (first !== 'late') return first;
  p.child.kill(signal);
  const t = setTimeout(() => p.child.kill('SIGKILL'), 10_000);
  const code = await p.exited;
  clearTimeout(t);
  return code;
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { seconds: { type: 'string', default: '8' } } });
  const seconds = Number(values.seconds);
  if (!(seconds > 0)) throw new Error(`--seconds must be a positive number: ${values.seconds}`);
  if (process.env.BLEKIT_IN_LAB !== '1') {
    throw new Error('lab-demo drives both lab controllers: run it with npm run demo');
  }
  const peripheral = runExample('peripheral', 'heart-rate-peripheral.js', [
    '--adapter',
    'hci1',
    '--interval',
    '500',
  ]);
  let central: Proc | undefined;
  try {
    // The peripheral prints "ready" once its advertisement is registered; btvirt then reports
    // it to the central's scan as soon as that scan is switched on.
    await peripheral.waitFor(/^ready on /, 60_000);
    central = runExample('central', 'heart-rate-central.js', [
      '--adapter',
      'hci0',
      '--seconds',
      String(seconds),
    ]);
    const code = await ended(central, (seconds + 120) * 1000, 'SIGINT');
    const printed = central.lines.filter((l) => /^heart rate \d+ bpm/.test(l)).length;
    console.log(`demo: central exited with ${code}, ${printed} live values printed`);
    return code === 0 && printed > 0 ? 0 : 1;
  } finally {
    // SIGINT makes the peripheral unregister from bluetoothd before it exits.
    peripheral.child.kill('SIGINT');
    await ended(peripheral, 15_000);
  }
}

main().then(
  (code) => (process.exitCode = code),
  (e: unknown) => {
    console.error(`lab-demo: ${(e as Error).message}`);
    process.exitCode = 1;
  },
);
