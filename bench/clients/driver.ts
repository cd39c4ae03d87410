// The measurements every Node client runs, over a small adapter per library, so each library
// is timed by the same code. The Python client (bleak_client.py) mirrors this file.
import { existsSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { createInterface } from 'node:readline';
import {
  ADV_RATE_MARK,
  BURST_DONE_MARK,
  CONTROL,
  PAYLOAD_BYTES,
  RESULT_MARK,
  SCANNING_MARK,
  advCounter,
  median,
  quantile,
  type AdvRateResult,
  type ClientConfig,
  type ClientResult,
  type FloodResult,
  type NotifyResult,
  type OpsResult,
  type PeripheralStats,
  type WwrResult,
} from '../protocol.js';

/** What a library has to offer the driver; characteristics are named by UUID. */
export interface LibraryAdapter {
  library: string;
  version: string;
  /** Scans until the address shows up; calls onScanning once the scan is running. */
  scan?(onScanning: () => void): Promise<void>;
  /**
   * Scans with duplicates allowed and calls back with the manufacturer data (company
   * ADV_COMPANY, without the id) of every advertisement from the address the library surfaces;
   * resolves once the scan runs, with a function that stops it.
   */
  scanAdvertisements?(onData: (data: Buffer) => void): Promise<() => Promise<void>>;
  /** Connects and resolves once services and characteristics are known. */
  connect(): Promise<void>;
  read(uuid: string): Promise<Buffer>;
  write(uuid: string, value: Buffer, withResponse: boolean): Promise<void>;
  subscribe(uuid: string, onValue: (v: Buffer) => void): Promise<void>;
  unsubscribe(uuid: string): Promise<void>;
  disconnect(): Promise<void>;
  /** Releases the library (after disconnect and the advertisement scan). */
  close?(): Promise<void>;
  /** Client CPU ms so far, when the library runs outside this process (gatttool). */
  cpuMs?(): number;
  /** Peak RSS (MiB) of the library's process, when it is not this one. */
  peakRssMiB?(): number;
  notes?(): Record<string, unknown>;
  /** Whether the windowed tests make sense (overlapping calls). */
  windowed?: boolean;
}

const UNSUBSCRIBE_LIMIT_MS = 15_000;
/** The lab's writable job share (comes back to the host); plain /tmp elsewhere. */
const PROFILE_DIR = existsSync('/tmp/blekit-lab-job') ? '/tmp/blekit-lab-job' : '/tmp';

/**
 * With BLEKIT_BENCH_PROFILE=1, a V8 CPU profile of the notification window only (not scan,
 * connect or the other tests), written as <PROFILE_DIR>/notify-<library>-<pid>.cpuprofile.
 */
async function startProfile(library: string): Promise<() => Promise<void>> {
  if (process.env.BLEKIT_BENCH_PROFILE !== '1') return async () => undefined;
  const s = new Session();
  s.connect();
  await s.post('Profiler.enable');
  await s.post('Profiler.start');
  return async () => {
    const { profile } = await s.post('Profiler.stop');
    const file = `${PROFILE_DIR}/notify-${library}-${process.pid}.cpuprofile`;
    writeFileSync(file, JSON.stringify(profile));
    s.disconnect();
  };
}
const DRAIN_QUIET_MS = 1_000;
/** After the burst: how long a client may surface nothing new before its count is final. */
const BURST_QUIET_MS = 3_000;
const BURST_LIMIT_MS = 90_000;

/** Resolves with the time the harness said the burst is over (a line on stdin). */
function burstDone(): Promise<number> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin });
    rl.on('line', (line) => {
      if (line !== BURST_DONE_MARK) return;
      rl.close();
      resolve(Date.now());
    });
  });
}

function withLimit<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      t = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(t));
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function ownCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function ownPeakRssMiB(): number {
  return process.resourceUsage().maxRSS / 1024;
}

function ownRssMiB(): number {
  return process.memoryUsage.rss() / 1048576;
}

function opsResult(latencies: number[], seconds: number): OpsResult {
  return {
    ops: latencies.length,
    seconds,
    opsPerSec: latencies.length / seconds,
    medianMs: median(latencies),
    p95Ms: quantile(latencies, 0.95),
  };
}

function payload(i: number): Buffer {
  const b = Buffer.alloc(PAYLOAD_BYTES);
  b.writeUInt32LE(i >>> 0);
  return b;
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n);
  return b;
}

/** Sequence bookkeeping shared by the credit and the flood tests. */
class SeqTracker {
  readonly seen = new Set<number>();
  max = -1;
  duplicates = 0;
  outOfOrder = 0;
  count = 0;
  /** When `count` last moved, as seen by poll() (no clock read per notification). */
  lastAt = 0;
  private polledCount = 0;

  add(v: Buffer): void {
    if (v.length < 4) return;
    const s = v.readUInt32LE(0);
    this.count++;
    if (this.seen.has(s)) this.duplicates++;
    else this.seen.add(s);
    if (s < this.max) this.outOfOrder++;
    else this.max = s;
  }

  get lost(): number {
    return this.max + 1 - this.seen.size;
  }

  /** Notes the time if notifications arrived since the last poll. */
  poll(): void {
    if (this.count === this.polledCount) return;
    this.polledCount = this.count;
    this.lastAt = Date.now();
  }
}

export class Driver {
  private readonly errors: string[] = [];
  private readonly u;

  constructor(
    private readonly cfg: ClientConfig,
    private readonly lib: LibraryAdapter,
  ) {
    this.u = cfg.uuids;
  }

  private cpu(): number {
    return this.lib.cpuMs ? this.lib.cpuMs() : ownCpuMs();
  }

  async run(): Promise<ClientResult> {
    const result: ClientResult = {
      library: this.lib.library,
      version: this.lib.version,
      peakRssMiB: 0,
      errors: this.errors,
    };
    const want = new Set(this.cfg.tests);
    if (this.lib.scan) {
      await this.step('scan', async () => {
        await this.lib.scan?.(() => process.stdout.write(`${SCANNING_MARK}\n`));
        result.scanSeenAt = Date.now();
      });
    } else {
      process.stdout.write(`${SCANNING_MARK}\n`);
    }
    const t0 = performance.now();
    try {
      await this.lib.connect();
    } catch (e) {
      this.errors.push(`connect: ${(e as Error).message}`);
      return this.finish(result);
    }
    result.connectMs = performance.now() - t0;
    if (want.has('read')) await this.step('read', async () => (result.read = await this.reads(1)));
    if (want.has('write'))
      await this.step('write', async () => (result.write = await this.writes(1)));
    if (want.has('wwr')) await this.step('wwr', async () => (result.wwr = await this.wwr()));
    if (want.has('notify'))
      await this.step('notify', async () => (result.notify = await this.notify()));
    if (this.lib.windowed && want.has('readWindowed')) {
      await this.step('readWindowed', async () => {
        result.readWindowed = await this.reads(this.cfg.inFlight);
      });
    }
    if (this.lib.windowed && want.has('writeWindowed')) {
      await this.step('writeWindowed', async () => {
        result.writeWindowed = await this.writes(this.cfg.inFlight);
      });
    }
    if (want.has('flood'))
      await this.step('flood', async () => (result.flood = await this.flood()));
    await this.step('disconnect', () => withLimit(this.lib.disconnect(), 15_000, 'disconnect'));
    if (want.has('advRate') && this.lib.scanAdvertisements)
      await this.step('advRate', async () => (result.advRate = await this.advRate()));
    const close = this.lib.close?.bind(this.lib);
    if (close) await this.step('close', () => withLimit(close(), 15_000, 'close'));
    return this.finish(result);
  }

  /**
   * Counts the distinct burst counters the library surfaces. Runs after disconnect: connectable
   * advertising from hci1 while hci0 is connected to it would not be the plain case.
   */
  private async advRate(): Promise<AdvRateResult> {
    const { id, count } = this.cfg.advBurst;
    const seen = new Set<number>();
    const r: AdvRateResult = { distinct: 0, reports: 0, firstAt: 0, lastAt: 0, cpuMs: 0 };
    let reportAt = 0;
    const stop = await this.lib.scanAdvertisements?.((data) => {
      const c = advCounter(data, id);
      if (c === undefined) return;
      r.reports++;
      reportAt = Date.now();
      if (seen.has(c)) return;
      seen.add(c);
      r.firstAt ||= reportAt;
      r.lastAt = reportAt;
    });
    let doneAt = 0;
    void burstDone().then((t) => (doneAt = t));
    const cpu0 = this.cpu();
    process.stdout.write(`${ADV_RATE_MARK}\n`);
    const hardEnd = Date.now() + BURST_LIMIT_MS;
    try {
      while (Date.now() < hardEnd) {
        await sleep(100);
        if (!doneAt) continue;
        if (seen.has(count - 1) || Date.now() - Math.max(doneAt, reportAt) > BURST_QUIET_MS) break;
      }
      if (!doneAt) throw new Error(`no end of burst within ${BURST_LIMIT_MS} ms`);
      r.cpuMs = this.cpu() - cpu0;
    } finally {
      await withLimit(stop?.() ?? Promise.resolve(), 15_000, 'stopping the scan');
    }
    r.distinct = seen.size;
    return r;
  }

  private finish(result: ClientResult): ClientResult {
    result.peakRssMiB = this.lib.peakRssMiB ? this.lib.peakRssMiB() : ownPeakRssMiB();
    const notes = this.lib.notes?.();
    if (notes) result.notes = notes;
    return result;
  }

  private async step(name: string, f: () => Promise<unknown>): Promise<void> {
    try {
      await f();
    } catch (e) {
      this.errors.push(`${name}: ${(e as Error).message}`);
    }
  }

  /**
   * Runs `op` untimed for the warm-up time (one call at a time: JIT and caches warm, as a
   * long-lived process has them), then `before`, then for the configured time with `width`
   * calls in flight; latencies per call.
   */
  private async timed(
    width: number,
    op: (i: number, lane: number) => Promise<unknown>,
    before?: () => Promise<unknown>,
  ): Promise<OpsResult> {
    await this.warmUp((i) => op(i, i % width));
    await before?.();
    const lat: number[] = [];
    const start = performance.now();
    const end = start + this.cfg.durationMs;
    let i = 0;
    const lane = async (_: unknown, n: number): Promise<void> => {
      while (performance.now() < end) {
        const t = performance.now();
        await op(i++, n);
        lat.push(performance.now() - t);
      }
    };
    await Promise.all(Array.from({ length: width }, lane));
    return opsResult(lat, (performance.now() - start) / 1000);
  }

  private async warmUp(op: (i: number) => Promise<unknown>): Promise<void> {
    const end = performance.now() + this.cfg.warmupMs;
    for (let i = 0; performance.now() < end; i++) await op(i);
  }

  /**
   * One lane per characteristic: bluetoothd answers overlapping reads of one characteristic
   * from a single ATT Read. `served` is what the peripheral counted, so coalescing would show.
   */
  private async reads(width: number): Promise<OpsResult> {
    const chars = [this.u.read, this.u.read2, this.u.read3, this.u.read4].slice(0, width);
    const r = await this.timed(
      chars.length,
      (_, lane) => this.lib.read(chars[lane] as string),
      () => this.lib.write(this.u.control, Buffer.from([CONTROL.reset]), true),
    );
    r.served = (await this.stats()).reads;
    return r;
  }

  /** One lane per characteristic: BlueZ refuses a second pending write on the same one. */
  private writes(width: number): Promise<OpsResult> {
    const chars = [this.u.write, this.u.write2, this.u.write3, this.u.write4].slice(0, width);
    return this.timed(chars.length, (i, lane) =>
      this.lib.write(chars[lane] as string, payload(i), true),
    );
  }

  /**
   * Waits until the peripheral's write count stops moving, so warm-up writes still queued on
   * their way (a write without response resolves before it arrives) are not counted after the
   * reset that follows.
   */
  private async settled(): Promise<void> {
    let last = -1;
    const end = Date.now() + 10_000;
    for (let n = (await this.stats()).wwr; n !== last && Date.now() < end;) {
      last = n;
      await sleep(300);
      n = (await this.stats()).wwr;
    }
  }

  private async stats(): Promise<PeripheralStats> {
    return JSON.parse((await this.lib.read(this.u.stats)).toString()) as PeripheralStats;
  }

  private async wwr(): Promise<WwrResult> {
    await this.warmUp((i) => this.lib.write(this.u.wwr, payload(i), false));
    await this.settled();
    await this.lib.write(this.u.control, Buffer.from([CONTROL.reset]), true);
    const start = Date.now();
    let sent = 0;
    while (Date.now() < start + this.cfg.durationMs)
      await this.lib.write(this.u.wwr, payload(sent++), false);
    const sendSec = (Date.now() - start) / 1000;
    // Writes may still be queued in bluetoothd: wait until all arrived or the count stops moving.
    let s = await this.stats();
    let last = s.wwr;
    let still = Date.now();
    while (s.wwr < sent && Date.now() - still < DRAIN_QUIET_MS) {
      await sleep(100);
      s = await this.stats();
      if (s.wwr !== last) {
        last = s.wwr;
        still = Date.now();
      }
    }
    const deliverSec = Math.max(s.wwrLast - start, 1) / 1000;
    return {
      sent,
      arrived: s.wwr,
      sendPerSec: sent / sendSec,
      deliveredPerSec: s.wwr / deliverSec,
    };
  }

  /**
   * Credit-paced notifications. The callback does no more than a library user's would (no clock
   * reads, one credit write per `creditTopUp` notifications), so the CPU figure is the library's.
   */
  private async notify(): Promise<NotifyResult> {
    const W = this.cfg.creditWindow;
    const topUp = this.cfg.creditTopUp;
    const tr = new SeqTracker();
    let owed = 0;
    let granting = false;
    let granted = 0;
    let open = true;
    const grant = (): void => {
      if (granting || owed === 0 || !open) return;
      const n = Math.min(owed, 0xffff);
      owed -= n;
      granting = true;
      granted += n;
      this.lib.write(this.u.credits, u16(n), false).then(
        () => {
          granting = false;
          if (owed >= topUp) grant();
        },
        (e: unknown) => {
          granting = false;
          this.errors.push(`credits: ${(e as Error).message}`);
        },
      );
    };
    // The window opens at the first notification; a timer closes it and takes the count.
    let windowOpen = false;
    let windowDone = false;
    let inWindow = 0;
    let windowTimer: NodeJS.Timeout | undefined;
    await this.lib.write(this.u.credits, Buffer.from([0xff, 0xff, 0xff, 0xff]), true);
    await this.lib.subscribe(this.u.seq, (v) => {
      tr.add(v);
      if (!windowOpen) {
        windowOpen = true;
        windowTimer = setTimeout(() => {
          inWindow = tr.count;
          windowDone = true;
        }, this.cfg.notifyMs);
      }
      if (++owed >= topUp) grant();
    });
    const stopProfile = await startProfile(this.lib.library);
    const cpu0 = this.cpu();
    const subscribedAt = Date.now();
    owed = W;
    grant();
    let stalls = 0;
    const hardEnd = Date.now() + this.cfg.notifyMs + 15_000;
    while (Date.now() < hardEnd) {
      await sleep(250);
      tr.poll();
      if (windowDone) break;
      // Lost notifications never return their credit: give the window back after a quiet second.
      if (
        Date.now() - Math.max(tr.lastAt, subscribedAt) > 1000 &&
        !granting &&
        granted - tr.seen.size > 0
      ) {
        stalls++;
        owed += granted - tr.seen.size;
        granted = tr.seen.size;
        grant();
      }
    }
    open = false;
    clearTimeout(windowTimer);
    const cpuMs = this.cpu() - cpu0;
    const receivedAtStop = tr.count;
    await stopProfile();
    // Let the granted tail arrive so loss counts only what never came.
    const drainEnd = Date.now() + 5000;
    while (Date.now() < drainEnd && Date.now() - tr.lastAt < DRAIN_QUIET_MS) {
      await sleep(100);
      tr.poll();
    }
    const t = performance.now();
    await withLimit(this.lib.unsubscribe(this.u.seq), UNSUBSCRIBE_LIMIT_MS, 'unsubscribe');
    const unsubscribeMs = performance.now() - t;
    const seconds = this.cfg.notifyMs / 1000;
    return {
      received: inWindow,
      seconds,
      perSec: windowDone ? inWindow / seconds : 0,
      lost: tr.lost,
      duplicates: tr.duplicates,
      outOfOrder: tr.outOfOrder,
      stalls,
      cpuMsPer1000: receivedAtStop ? (cpuMs / receivedAtStop) * 1000 : NaN,
      unsubscribeMs,
    };
  }

  /** No credits: the peripheral sends as fast as it can. Does the client keep up or cope? */
  private async flood(): Promise<FloodResult> {
    const tr = new SeqTracker();
    let subscribed = true;
    let after = 0;
    await this.lib.write(this.u.credits, Buffer.from([0xff, 0xff, 0xff, 0xff]), true);
    await this.lib.subscribe(this.u.seq, (v) => {
      if (subscribed) tr.add(v);
      else after++;
    });
    const rssStart = ownRssMiB();
    let rssPeak = rssStart;
    const readLat: number[] = [];
    let readsFailed = 0;
    await this.lib.write(this.u.control, Buffer.from([CONTROL.floodOn]), true);
    const start = Date.now();
    while (Date.now() - start < this.cfg.notifyMs) {
      const t = performance.now();
      try {
        await withLimit(this.lib.read(this.u.read), 5000, 'read during the flood');
        readLat.push(performance.now() - t);
      } catch {
        readsFailed++;
      }
      rssPeak = Math.max(rssPeak, this.lib.peakRssMiB ? this.lib.peakRssMiB() : ownRssMiB());
      await sleep(250);
    }
    const seconds = (Date.now() - start) / 1000;
    const received = tr.count;
    let unsubscribeMs: number | null = null;
    const t = performance.now();
    try {
      await withLimit(this.lib.unsubscribe(this.u.seq), UNSUBSCRIBE_LIMIT_MS, 'unsubscribe');
      unsubscribeMs = performance.now() - t;
    } catch (e) {
      this.errors.push(`flood unsubscribe: ${(e as Error).message}`);
    }
    subscribed = false;
    await this.lib
      .write(this.u.control, Buffer.from([CONTROL.floodOff]), true)
      .catch((e: unknown) => this.errors.push(`flood off: ${(e as Error).message}`));
    await sleep(1000);
    rssPeak = Math.max(rssPeak, this.lib.peakRssMiB ? this.lib.peakRssMiB() : ownRssMiB());
    return {
      seconds,
      received,
      lost: tr.lost,
      readMedianMs: readLat.length ? median(readLat) : null,
      readMaxMs: readLat.length ? Math.max(...readLat) : null,
      readsFailed,
      rssStartMiB: rssStart,
      rssPeakMiB: rssPeak,
      unsubscribeMs,
      afterUnsubscribe: after,
    };
  }
}

/** Parses argv[2], runs the driver, prints the result line and exits. */
export async function main(make: (cfg: ClientConfig) => Promise<LibraryAdapter>): Promise<void> {
  const cfg = JSON.parse(process.argv[2] ?? '{}') as ClientConfig;
  let result: ClientResult;
  try {
    const lib = await make(cfg);
    result = await new Driver(cfg, lib).run();
  } catch (e) {
    result = {
      library: 'unknown',
      version: '',
      peakRssMiB: ownPeakRssMiB(),
      errors: [`setup: ${(e as Error).stack ?? String(e)}`],
    };
  }
  process.stdout.write(`${RESULT_MARK}${JSON.stringify(result)}\n`);
  // Libraries may keep handles (buses, sockets) open; the result is out, so leave now.
  process.exit(0);
}
