// The gateway bench inside the lab VM. hci0 listens; every other controller advertises.
// 1. Advertisements: rounds alternate a bare Central (counting in its own process) and a Gateway
//    publishing to mosquitto (counted by an independent mosquitto_sub), each against the same
//    bursts from every advertiser, with the measured process's CPU and RSS.
// 2. Reads: a blekit peripheral on hci1; N reads through a direct Central, then N through the
//    gateway's MQTT 5 request/response. Last, since tearing down a link with more than two
//    controllers has crashed the lab's kernel (hci_chan_del): the burst records are out by then.
// Records go to the job share and to stdout for run.ts.
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { IPublishPacket } from 'mqtt';
import { advBurst, closeAdvertiser } from '../adv-burst.js';
import { RECORD_MARK } from '../protocol.js';
import { PEER } from '../../test/lab/gateway/peer-spec.js';
import { start, startMosquitto, stop, type Proc } from '../../test/lab/gateway/support.js';
import {
  RECORDS_FILE,
  type AdvRun,
  type GatewayBenchRecord,
  type ReadRun,
  type SentBurst,
  type Usage,
} from './protocol.js';
import { Tally } from './tally.js';

const env = (name: string, dflt: number): number => Number(process.env[name] ?? dflt) || dflt;
/** Advertisements per advertiser per burst, and all advertisers' pace together (per second). */
const BURST = env('BLEKIT_GWBENCH_BURST', 300);
const PACE = env('BLEKIT_GWBENCH_PACE', 150);
const ROUNDS = env('BLEKIT_GWBENCH_ROUNDS', 2);
const READS = env('BLEKIT_GWBENCH_READS', 50);
const PORT = 1890;
const URL_ = `mqtt://127.0.0.1:${PORT}`;
const PEER_ADDRESS = '00:AA:01:01:00:01';
const JOB_DIR = '/tmp/blekit-lab-job';
/** After the last advertisement, a path has this long without a new counter to catch up. */
const SETTLE_MS = 2000;

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

function record(r: GatewayBenchRecord): void {
  const line = JSON.stringify(r);
  if (existsSync(JOB_DIR)) appendFileSync(`${JOB_DIR}/${RECORDS_FILE}`, line + '\n');
  process.stdout.write(`${RECORD_MARK}${line}\n`);
}

function log(msg: string): void {
  process.stdout.write(`# ${new Date().toISOString().slice(11, 19)} ${msg}\n`);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** subject.js in one mode, answering commands with JSON lines. */
class Subject {
  private readonly child: ChildProcess;
  private readonly waiting: { event: string; resolve: (o: Record<string, unknown>) => void }[] = [];
  /** Lines that came before anyone waited for them ('ready' while the caller was busy). */
  private readonly unclaimed: Record<string, unknown>[] = [];
  private stderr = '';
  readonly exited: Promise<number | null>;

  constructor(args: string[]) {
    this.child = spawn(process.execPath, [here('./subject.js'), ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stderr?.on('data', (b: Buffer) => (this.stderr += b.toString()));
    this.exited = new Promise((r) => this.child.on('close', r));
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      let o: Record<string, unknown>;
      try {
        o = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      if (o.event === 'failed') {
        const waiting = this.waiting.splice(0);
        if (!waiting.length) this.unclaimed.push(o);
        for (const w of waiting) w.resolve(o);
        return;
      }
      const i = this.waiting.findIndex((w) => w.event === o.event);
      if (i >= 0) this.waiting.splice(i, 1)[0]?.resolve(o);
      else this.unclaimed.push(o);
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Sends `cmd` (if any) and waits for the next `event` line. */
  async next(event: string, cmd?: string, ms = 120_000): Promise<Record<string, unknown>> {
    const early = this.unclaimed.findIndex((o) => o.event === event || o.event === 'failed');
    const got = new Promise<Record<string, unknown>>((resolve, reject) => {
      if (early >= 0) return resolve(this.unclaimed.splice(early, 1)[0] as Record<string, unknown>);
      const t = setTimeout(() => reject(new Error(`no ${event} in ${ms} ms: ${this.stderr}`)), ms);
      this.waiting.push({ event, resolve: (o) => (clearTimeout(t), resolve(o)) });
    });
    if (cmd) this.child.stdin?.write(cmd + '\n');
    const o = await got;
    if (o.event === 'failed') throw new Error(`subject failed: ${String(o.message)}`);
    return o;
  }

  async quit(): Promise<void> {
    if (this.child.exitCode !== null) return;
    this.child.stdin?.write('quit\n');
    const t = setTimeout(() => this.child.kill('SIGKILL'), 20_000);
    await this.exited;
    clearTimeout(t);
  }
}

/** Counts burst counters in the gateway's advertisement messages, as any subscriber would. */
class Subscriber {
  private proc: Proc;
  tally = new Tally();

  constructor() {
    this.proc = start('mosquitto_sub', [
      ...['-p', String(PORT), '-q', '1', '-t', 'blekit/devices/+/advertisement'],
    ]);
    this.proc.child.stdout?.on('data', () => this.drain());
  }

  private drain(): void {
    for (const line of this.proc.lines.splice(0)) {
      let hex: string | undefined;
      try {
        hex = (JSON.parse(line) as { manufacturerData?: Record<string, string> })
          .manufacturerData?.['0xffff'];
      } catch {
        continue;
      }
      if (hex) this.tally.add(Buffer.from(hex, 'hex'));
    }
  }

  reset(): void {
    this.drain();
    this.tally = new Tally();
  }

  counts(): Record<string, number> {
    this.drain();
    return this.tally.counts();
  }

  stop(): Promise<number | null> {
    return stop(this.proc);
  }
}

function advertisers(): number[] {
  return readdirSync('/sys/class/bluetooth')
    .map((n) => /^hci(\d+)$/.exec(n)?.[1])
    .filter((n): n is string => n !== undefined)
    .map(Number)
    .filter((i) => i !== 0)
    .sort((a, b) => a - b);
}

/**
 * Mosquitto with TCP_NODELAY on its client sockets (its default is off: every reply it
 * forwards then waits for the receiver's delayed ACK, about 40 ms on Linux).
 * BLEKIT_GWBENCH_BROKER_NAGLE=1 keeps mosquitto's default.
 */
function brokerConfig(): string {
  const file = '/tmp/gwbench-mosquitto.conf';
  const nagle = process.env.BLEKIT_GWBENCH_BROKER_NAGLE === '1';
  writeFileSync(
    file,
    `listener ${PORT} 127.0.0.1\nallow_anonymous true\nset_tcp_nodelay ${!nagle}\n`,
  );
  return file;
}

let nextBurst = 1;

/** Every advertiser sends BURST advertisements at once, sharing PACE between them. */
async function bursts(controllers: number[]): Promise<SentBurst[]> {
  const pace = PACE / controllers.length;
  return Promise.all(
    controllers.map(async (index) => {
      const b = await advBurst(nextBurst++, BURST, pace, index);
      const s: SentBurst = {
        controller: `hci${index}`,
        burst: b.id,
        sent: b.sent,
        startAt: b.startAt,
        endAt: b.endAt,
      };
      if (b.error) s.error = b.error;
      return s;
    }),
  );
}

const total = (r: Record<string, number>, sent: SentBurst[]): number =>
  sent.reduce((n, s) => n + (r[String(s.burst)] ?? 0), 0);

/** Waits until every counter arrived or none arrived for SETTLE_MS; returns the last counts. */
async function settle(
  sent: SentBurst[],
  poll: () => Promise<{ received: Record<string, number>; lastAt: number }>,
): Promise<void> {
  const want = sent.reduce((n, s) => n + s.sent, 0);
  const end = Date.now() + 60_000;
  const doneAt = Math.max(...sent.map((s) => s.endAt));
  while (Date.now() < end) {
    const p = await poll();
    if (total(p.received, sent) >= want) return;
    if (Date.now() - Math.max(doneAt, p.lastAt) > SETTLE_MS) return;
    await sleep(250);
  }
}

async function advRound(
  path: 'central' | 'gateway',
  round: number,
  controllers: number[],
  sub: Subscriber,
): Promise<void> {
  const subject = new Subject(path === 'central' ? ['scan', 'hci0'] : ['gateway', 'hci0', URL_]);
  try {
    await subject.next('ready');
    // The scan is on: give bluetoothd a moment to settle into it before the burst.
    await sleep(1000);
    sub.reset();
    const marked = await subject.next('marked', 'mark');
    const sent = await bursts(controllers);
    let last: Record<string, unknown> = {};
    const poll = async (): Promise<{ received: Record<string, number>; lastAt: number }> => {
      last = await subject.next('report', 'report');
      if (path === 'gateway') return { received: sub.counts(), lastAt: sub.tally.lastAt };
      return { received: last.distinct as Record<string, number>, lastAt: last.lastAt as number };
    };
    await settle(sent, poll);
    await poll();
    const gw = path === 'gateway';
    const run: AdvRun = {
      kind: 'adv',
      path,
      round,
      sent,
      received: gw ? sub.counts() : (last.distinct as Record<string, number>),
      firstAt: gw ? sub.tally.firstAt : (last.firstAt as number),
      lastAt: gw ? sub.tally.lastAt : (last.lastAt as number),
      idleRssMiB: marked.rssMiB as number,
      usage: last.usage as Usage,
      errors: [
        ...sent.filter((s) => s.error).map((s) => `${s.controller}: ${s.error}`),
        ...((last.errors as string[] | undefined) ?? []),
      ],
    };
    if (gw) {
      run.advertisements = last.advertisements as number;
      run.published = last.published as number;
    }
    record(run);
    const got = total(run.received, sent);
    const n = sent.reduce((a, s) => a + s.sent, 0);
    log(`${path} round ${round}: ${got} of ${n} advertisements counted`);
  } finally {
    await subject.quit();
  }
}

async function directReads(): Promise<void> {
  const s = new Subject(['read', 'hci0', PEER_ADDRESS, String(READS)]);
  const r = await s.next('reads', undefined, 240_000);
  await s.exited;
  if (r.value !== PEER.readValue) throw new Error(`direct read gave ${String(r.value)}`);
  const run: ReadRun = {
    kind: 'read',
    path: 'central',
    connectMs: r.connectMs as number,
    latencies: r.latencies as number[],
    errors: [],
  };
  record(run);
  log(`direct reads: ${run.latencies.length}`);
}

type Request = (body: Record<string, unknown>) => Promise<Record<string, unknown>>;

/** READS requests one after the other, each timed from publishing to its reply. */
async function timed(
  request: Request,
  body: Record<string, unknown>,
): Promise<{ latencies: number[]; errors: string[] }> {
  const latencies: number[] = [];
  const errors: string[] = [];
  for (let i = 0; i < READS; i++) {
    const t = performance.now();
    const r = await request(body);
    latencies.push(performance.now() - t);
    if (r.result !== 'ok') errors.push(JSON.stringify(r));
  }
  return { latencies, errors };
}

async function gatewayReads(): Promise<void> {
  const gw = new Subject(['gateway', 'hci0', URL_, PEER_ADDRESS]);
  const { connectAsync } = (await import('mqtt')).default;
  const client = await connectAsync(URL_, { protocolVersion: 5, clientId: 'gwbench-requests' });
  // Nagle off, as on the gateway's side: the requester's own delays are not the gateway's.
  (client.stream as { setNoDelay?: (on: boolean) => unknown }).setNoDelay?.(true);
  const replyTopic = 'gwbench/replies';
  const pending = new Map<string, (payload: Record<string, unknown>) => void>();
  client.on('message', (_t: string, payload: Buffer, packet: IPublishPacket) => {
    const id = packet.properties?.correlationData?.toString();
    if (id) pending.get(id)?.(JSON.parse(payload.toString()) as Record<string, unknown>);
  });
  let seq = 0;
  const request: Request = (body) =>
    new Promise((resolve, reject) => {
      const id = `r${++seq}`;
      const t = setTimeout(() => reject(new Error(`no reply to ${body.command}`)), 120_000);
      pending.set(id, (p) => (clearTimeout(t), pending.delete(id), resolve(p)));
      client.publish('blekit/gateways/bench/command', JSON.stringify(body), {
        qos: 1,
        properties: { responseTopic: replyTopic, correlationData: Buffer.from(id) },
      });
    });
  try {
    await client.subscribeAsync(replyTopic, { qos: 1 });
    await gw.next('ready');
    // The MQTT path alone: disconnecting a device the gateway does not hold needs no radio.
    const idle = { command: 'disconnect', address: '00:AA:01:09:00:09' };
    await request(idle);
    record({ kind: 'read', path: 'mqtt', connectMs: 0, ...(await timed(request, idle)) });
    const t0 = performance.now();
    const conn = await request({ command: 'connect', address: PEER_ADDRESS, timeoutMs: 90_000 });
    const connectMs = performance.now() - t0;
    if (conn.result !== 'ok') throw new Error(`connect: ${JSON.stringify(conn)}`);
    const read = { command: 'read', address: PEER_ADDRESS, characteristic: PEER.read };
    const first = await request(read);
    const hex = (first.value as { hex?: string } | undefined)?.hex;
    if (first.result !== 'ok' || Buffer.from(hex ?? '', 'hex').toString() !== PEER.readValue) {
      throw new Error(`read: ${JSON.stringify(first)}`);
    }
    const { latencies, errors } = await timed(request, read);
    record({ kind: 'read', path: 'gateway', connectMs, latencies, errors });
    log(`gateway reads: ${latencies.length}, ${errors.length} errors`);
    await request({ command: 'disconnect', address: PEER_ADDRESS });
  } finally {
    await client.endAsync();
    await gw.quit();
  }
}

async function stage(name: string, f: () => Promise<void>): Promise<void> {
  try {
    await f();
  } catch (e) {
    log(`${name} failed: ${(e as Error).message}`);
    record({ kind: 'failed', stage: name, message: (e as Error).stack ?? String(e) });
  }
}

async function main(): Promise<void> {
  const controllers = advertisers();
  record({
    kind: 'environment',
    date: new Date().toISOString(),
    vcpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    memMiB: Math.round(totalmem() / 1048576),
    node: process.version,
    advertisers: controllers.map((i) => `hci${i}`),
    brokerNagle: process.env.BLEKIT_GWBENCH_BROKER_NAGLE === '1',
    burstPerAdvertiser: BURST,
    pacePerSec: PACE,
    rounds: ROUNDS,
    reads: READS,
  });
  log(`advertisers ${controllers.map((i) => `hci${i}`).join(', ')}; ${BURST} each at ${PACE}/s`);
  const broker = await startMosquitto(PORT, ['-c', brokerConfig()]);
  const sub = new Subscriber();
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      // Alternating which path goes first spreads drift in the emulated VM over both.
      const order: ('central' | 'gateway')[] =
        round % 2 ? ['central', 'gateway'] : ['gateway', 'central'];
      for (const path of order) {
        await stage(`adv ${path} ${round}`, () => advRound(path, round, controllers, sub));
      }
    }
    closeAdvertiser();
    if (process.env.BLEKIT_GWBENCH_NO_READS !== '1') {
      const peer = start(process.execPath, [
        fileURLToPath(new URL('../../test/lab/gateway/gatt-peer.js', import.meta.url)),
        'hci1',
        '--nudge',
      ]);
      try {
        await peer.waitFor((l) => l.includes('"ready"'), 60_000, 'peer ready');
        await stage('reads central', directReads);
        await stage('reads gateway', gatewayReads);
      } finally {
        await stop(peer);
      }
    }
  } finally {
    await sub.stop();
    await stop(broker);
  }
  log('done');
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    log(`bench failed: ${(e as Error).stack ?? String(e)}`);
    process.exit(1);
  },
);
