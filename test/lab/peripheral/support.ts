import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { getManagedObjects, getProperty, openSystemBus } from '../../../src/bluez/calls.js';
import {
  Adapter,
  Agent,
  type Peripheral,
  type AdvertisementOptions,
} from '../../../src/peripheral/index.js';
import { HCI0_ADDR, HCI1_ADDR } from '../../support/proc.js';

export const PY = '/usr/bin/python3';

/** A Just Works agent that opts in to everything it is asked, noting each question in `asked`. */
export function acceptingAgent(asked: string[]): Agent {
  return new Agent({
    capability: 'NoInputNoOutput',
    onConfirm: (d) => {
      asked.push(`confirm ${d.address}`);
      return true;
    },
    onAuthorize: (d) => {
      asked.push(`authorize ${d.address}`);
      return true;
    },
  });
}
const CLIENTS = fileURLToPath(new URL('../../../../test/lab/peripheral/clients/', import.meta.url));

export interface ClientRun {
  lines: Record<string, unknown>[];
  /** Resolves with the first line for which pred is true (rejects on exit or timeout). */
  waitFor(
    pred: (l: Record<string, unknown>) => boolean,
    ms: number,
  ): Promise<Record<string, unknown>>;
  done: Promise<{ code: number | null; stderr: string }>;
  kill(): void;
}

/** Runs a Python client (argument array, no shell) and parses its JSON lines. */
export function runClient(script: string, args: string[], timeoutMs: number): ClientRun {
  const child = spawn(PY, [CLIENTS + script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: Record<string, unknown>[] = [];
  const waiters: {
    pred: (l: Record<string, unknown>) => boolean;
    resolve: (l: Record<string, unknown>) => void;
  }[] = [];
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  createInterface({ input: child.stdout }).on('line', (text) => {
    let l: Record<string, unknown>;
    try {
      l = JSON.parse(text) as Record<string, unknown>;
    } catch {
      l = { text };
    }
    lines.push(l);
    for (const w of waiters.splice(0)) {
      if (w.pred(l)) w.resolve(l);
      else waiters.push(w);
    }
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const done = new Promise<{ code: number | null; stderr: string }>((resolve) => {
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
  return {
    lines,
    done,
    kill: () => child.kill('SIGKILL'),
    waitFor(pred, ms) {
      const seen = lines.find(pred);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const t = setTimeout(
          () =>
            reject(
              new Error(`timed out; lines: ${JSON.stringify(lines).slice(0, 2000)}\n${stderr}`),
            ),
          ms,
        );
        waiters.push({
          pred,
          resolve: (l) => {
            clearTimeout(t);
            resolve(l);
          },
        });
        void done.then(() => {
          clearTimeout(t);
          reject(
            new Error(`client exited; lines: ${JSON.stringify(lines).slice(0, 2000)}\n${stderr}`),
          );
        });
      });
    },
  };
}

/**
 * btvirt sends one advertising report per enable, so a scanner that starts later never sees
 * us: re-register the advertisement every few seconds until `until` settles.
 */
export async function advertiseUntil(
  p: Peripheral,
  opts: AdvertisementOptions,
  until: Promise<unknown>,
): Promise<void> {
  let stop = false;
  void until.then(
    () => (stop = true),
    () => (stop = true),
  );
  while (!stop) {
    const ad = await p.advertise(opts);
    for (let i = 0; i < 30 && !stop; i++) await new Promise((r) => setTimeout(r, 100));
    await ad.stop();
  }
}

/** Waits until hci1 has no connection and no active advertisement (what each test must leave). */
export async function waitClean(ms = 20_000): Promise<string | undefined> {
  const bus = await openSystemBus();
  try {
    const end = Date.now() + ms;
    let why = '';
    while (Date.now() < end) {
      const objs = await getManagedObjects(bus);
      const conns = Object.entries(objs)
        .filter(
          ([p, i]) => p.startsWith('/org/bluez/hci') && i['org.bluez.Device1']?.Connected === true,
        )
        .map(([p]) => p);
      const active = Number(
        await getProperty(
          bus,
          '/org/bluez/hci1',
          'org.bluez.LEAdvertisingManager1',
          'ActiveInstances',
        ),
      );
      if (conns.length === 0 && active === 0) return undefined;
      why = `connected: ${conns.join(', ') || 'none'}; active advertisements on hci1: ${active}`;
      await new Promise((r) => setTimeout(r, 500));
    }
    return why;
  } finally {
    bus.close();
  }
}

export function seqBuf(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt32LE(n, 0);
  return b;
}

/**
 * Removes each controller's record of the other (bond and GATT cache). bluetoothd's client
 * side keeps a cache of hci1's database between connections; after a test registers
 * different services, the stale cache made bleak 0.20 fail service resolution (KeyError).
 */
export async function forgetPeers(): Promise<void> {
  for (const [name, peer] of [
    ['hci0', HCI1_ADDR],
    ['hci1', HCI0_ADDR],
  ] as const) {
    const a = await Adapter.open(name);
    try {
      await a.removeDevice(peer).catch(() => undefined);
    } finally {
      a.close();
    }
  }
}
