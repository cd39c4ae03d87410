// The process measured by the gateway bench, run inside the lab VM, one mode per run:
//   scan ADAPTER             a bare Central scanStream counting burst counters (the baseline)
//   gateway ADAPTER URL [ALLOW]   a Gateway publishing to the broker at URL
//   read ADAPTER ADDRESS N   connect, discover, one untimed read, N timed reads, disconnect
// It loads blekit's bundle (what `npm install blekit` gives), not the compiled sources, so its
// CPU and memory are what a user's process would show. On stdin: `mark` starts a measuring
// window (CPU from here, RSS peak reset), `report` ends it and prints the figures, `quit`.
// Every answer is one JSON line on stdout.
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { ADV_COMPANY } from '../protocol.js';
import { Tally } from './tally.js';
import type { Usage } from './protocol.js';

type Blekit = typeof import('../../src/index.js');
const bundle = fileURLToPath(new URL('../../src/bundle/index.js', import.meta.url));
const blekit = (await import(bundle)) as Blekit;

const say = (o: Record<string, unknown>): void =>
  void process.stdout.write(JSON.stringify(o) + '\n');

const [mode, adapter = 'hci0', arg1 = '', arg2 = ''] = process.argv.slice(2);

/** CPU and RSS over a window; RSS sampled every 50 ms (resourceUsage's maxRSS never resets). */
class Meter {
  private cpu0 = process.cpuUsage();
  private t0 = Date.now();
  private peak = 0;
  private readonly timer = setInterval(() => this.sample(), 50);

  constructor() {
    this.timer.unref();
  }

  private sample(): number {
    const rss = process.memoryUsage.rss();
    this.peak = Math.max(this.peak, rss);
    return rss;
  }

  mark(): number {
    this.cpu0 = process.cpuUsage();
    this.t0 = Date.now();
    this.peak = 0;
    return this.sample() / 1048576;
  }

  usage(): Usage {
    const rss = this.sample();
    const cpu = process.cpuUsage(this.cpu0);
    return {
      wallMs: Date.now() - this.t0,
      userMs: cpu.user / 1000,
      systemMs: cpu.system / 1000,
      rssMiB: rss / 1048576,
      peakRssMiB: this.peak / 1048576,
      maxRssMiB: process.resourceUsage().maxRSS / 1024,
    };
  }
}

async function commands(
  extra: () => Record<string, unknown>,
  reset: () => void,
  stop: () => Promise<void>,
): Promise<void> {
  const meter = new Meter();
  for await (const line of createInterface({ input: process.stdin })) {
    if (line === 'mark') {
      reset();
      say({ event: 'marked', rssMiB: meter.mark() });
    } else if (line === 'report') say({ event: 'report', usage: meter.usage(), ...extra() });
    else if (line === 'quit') break;
  }
  await stop();
  say({ event: 'stopped' });
  process.exit(0);
}

async function newCentral(): Promise<InstanceType<Blekit['Central']>> {
  const central = new blekit.Central({ backend: new blekit.DbusBackend(), adapter });
  await central.start();
  return central;
}

async function scanMode(): Promise<void> {
  const central = await newCentral();
  let tally = new Tally();
  const stop = new AbortController();
  const started = new Promise<void>((resolve) => central.once('scanStart', () => resolve()));
  const loop = (async () => {
    const stream = central.scanStream({
      durationMs: Infinity,
      signal: stop.signal,
      duplicates: true,
    });
    for await (const r of stream) tally.add(r.advertisement.manufacturerData.get(ADV_COMPANY));
  })();
  await Promise.race([started, loop.then(() => Promise.reject(new Error('scan ended')))]);
  say({ event: 'ready' });
  await commands(
    () => tally.json(),
    () => (tally = new Tally()),
    async () => {
      stop.abort();
      await loop.catch(() => undefined);
      await central.stop();
    },
  );
}

async function gatewayMode(): Promise<void> {
  const central = await newCentral();
  const started = new Promise<void>((resolve) => central.once('scanStart', () => resolve()));
  const gateway = new blekit.Gateway({
    central,
    mqtt: arg1,
    id: 'bench',
    // Every advertisement goes out: the bench measures the path, not the rate limit.
    minIntervalMs: 0,
    discoveryPrefix: false,
    // BlueZ's D-Bus API scans actively only: saying so spares the passive attempt and its warning.
    scan: 'active',
    allow: arg2 ? [arg2] : [],
  });
  const errors: string[] = [];
  gateway.on('error', (e: Error) => errors.push(e.message));
  await gateway.start();
  await started;
  say({ event: 'ready' });
  let base = gateway.stats;
  await commands(
    () => {
      const now = gateway.stats;
      return {
        stats: now,
        advertisements: now.advertisements - base.advertisements,
        published: now.published - base.published,
        errors,
      };
    },
    () => (base = gateway.stats),
    async () => {
      await gateway.stop();
      await central.stop();
    },
  );
}

async function readMode(): Promise<void> {
  const n = Number(arg2);
  const central = await newCentral();
  const t0 = performance.now();
  const device = await central.connect(arg1, { timeoutMs: 90_000 });
  const connectMs = performance.now() - t0;
  await device.discover();
  const { PEER } = await import('../../test/lab/gateway/peer-spec.js');
  const first = await device.read(PEER.read);
  const latencies: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await device.read(PEER.read);
    latencies.push(performance.now() - t);
  }
  await device.disconnect();
  await central.stop();
  say({ event: 'reads', connectMs, value: Buffer.from(first).toString(), latencies });
  process.exit(0);
}

const modes: Record<string, () => Promise<void>> = {
  scan: scanMode,
  gateway: gatewayMode,
  read: readMode,
};
const run = modes[mode ?? ''];
if (!run) {
  process.stderr.write(`usage: subject.js scan|gateway|read ADAPTER ...\n`);
  process.exit(2);
}
run().catch((e: unknown) => {
  say({ event: 'failed', message: (e as Error).stack ?? String(e) });
  process.exit(1);
});
