// The bench inside the lab VM: starts a peripheral on hci1, runs every client several times
// (rounds interleave the libraries so drift in the emulated VM hits them alike) and prints
// one RECORD_MARK line of JSON per run for the host (run.ts) to aggregate.
import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startEmulator, type Emulator } from '../test/lab/bgapi/emulator-process.js';
import { advBurst, closeAdvertiser } from './adv-burst.js';
import {
  ADV_RATE_MARK,
  BENCH_UUIDS,
  BURST_DONE_MARK,
  RECORD_MARK,
  RESULT_MARK,
  SCANNING_MARK,
  type AdvBurstRecord,
  type ClientConfig,
  type ClientResult,
  type TestName,
} from './protocol.js';

const HCI1 = '00:AA:01:01:00:01';
const QUICK = process.env.BLEKIT_BENCH_QUICK === '1';
const ROUNDS = Number(process.env.BLEKIT_BENCH_ROUNDS ?? (QUICK ? 1 : 3));
const ONLY = process.env.BLEKIT_BENCH_ONLY?.split(',');
/** For a quick look at a few rows: the tests to keep (scan always runs: it finds the peer). */
const TESTS = process.env.BLEKIT_BENCH_TESTS?.split(',');
const pick = (tests: TestName[]): TestName[] =>
  tests.filter((t) => !TESTS || t === 'scan' || TESTS.includes(t));
const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));
const PROJECT = here('../../');
const RUN_LIMIT_MS = 240_000;
/** Advertisements per 'advRate' burst (about 3 s at the ~165/s the lab's advertiser reaches). */
const ADV_BURST = Number(process.env.BLEKIT_BENCH_ADV_BURST ?? (QUICK ? 200 : 500));
/** Unset: as fast as the advertiser goes (its rate is recorded); set: at most this many a second. */
const ADV_PACE = Number(process.env.BLEKIT_BENCH_ADV_PACE ?? 0) || undefined;
let burstId = 0;

/** The lab's writable job share: records land there too, safe from the serial console. */
const JOB_DIR = '/tmp/blekit-lab-job';
const RECORDS_FILE = 'bench-records.jsonl';

function record(kind: string, data: Record<string, unknown>): void {
  const line = JSON.stringify({ kind, ...data });
  if (existsSync(JOB_DIR)) appendFileSync(`${JOB_DIR}/${RECORDS_FILE}`, line + '\n');
  process.stdout.write(`${RECORD_MARK}${line}\n`);
}

function log(msg: string): void {
  process.stdout.write(`# ${new Date().toISOString().slice(11, 19)} ${msg}\n`);
}

/** A peripheral process speaking "adv on" / "adv off" / "quit" on stdin, "ok <cmd>" back. */
class LinePeer {
  private readonly child;
  private readonly waiters: ((line: string) => void)[] = [];
  private output = '';
  readonly ready: Promise<void>;

  constructor(
    readonly name: string,
    cmd: string,
    args: string[],
  ) {
    this.child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr.on('data', (b: Buffer) => (this.output += b.toString()));
    let ready: () => void = () => undefined;
    let failed: (e: Error) => void = () => undefined;
    this.ready = new Promise<void>((res, rej) => {
      ready = res;
      failed = rej;
    });
    const t = setTimeout(
      () => failed(new Error(`${name} not ready in 60 s:\n${this.output}`)),
      60_000,
    );
    this.child.once('exit', (code) =>
      failed(new Error(`${name} exited (${code}):\n${this.output}`)),
    );
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      this.output += line + '\n';
      if (line === 'ready') {
        clearTimeout(t);
        ready();
      } else if (line.startsWith('ok ') || line.startsWith('err ')) this.waiters.shift()?.(line);
    });
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async command(cmd: string): Promise<void> {
    const line = await new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`${this.name}: no answer to ${cmd}`)), 30_000);
      this.waiters.push((l) => (clearTimeout(t), resolve(l)));
      this.child.stdin.write(cmd + '\n');
    });
    if (line.startsWith('err')) throw new Error(`${this.name}: ${line}`);
  }

  async stop(): Promise<void> {
    if (!this.alive) return;
    const gone = new Promise((r) => this.child.once('exit', r));
    this.child.stdin.write('quit\n');
    const t = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await gone;
    clearTimeout(t);
  }
}

interface ClientSpec {
  name: string;
  cmd: string[];
  tests: TestName[];
  options?: Record<string, unknown>;
  /** Extra environment for the client process. */
  env?: Record<string, string>;
  /** Runs against `blekit bgapi-emulator` on hci0, whose pty becomes options.port. */
  bgapiEmulator?: boolean;
}

const node = (file: string): string[] => [process.execPath, here(`./clients/${file}`)];
const CORE: TestName[] = ['scan', 'read', 'write', 'wwr', 'notify'];
/**
 * With 'advRate': libraries that surface each advertisement. node-ble has no per-advertisement
 * callback (only getManufacturerData(), which would sample, not count) and gatttool cannot scan.
 */
const SCANNERS: TestName[] = [...CORE, 'advRate'];
const BLEKIT_TESTS: TestName[] = [...SCANNERS, 'readWindowed', 'writeWindowed'];

const CLIENTS: ClientSpec[] = [
  {
    name: 'blekit',
    cmd: node('blekit.js'),
    tests: BLEKIT_TESTS,
    options: { backend: 'dbus', acquire: true },
  },
  {
    name: 'blekit-noacquire',
    cmd: node('blekit.js'),
    tests: BLEKIT_TESTS,
    options: { backend: 'dbus', acquire: false },
  },
  {
    name: 'blekit-unordered',
    cmd: node('blekit.js'),
    tests: ['scan', 'wwr'],
    options: { backend: 'dbus', acquire: true, ordered: false },
  },
  {
    name: 'blekit-gatttool',
    cmd: node('blekit.js'),
    tests: SCANNERS,
    options: { backend: 'gatttool' },
  },
  {
    // No dongle in the lab: the emulator answers BGAPI on a pty and does the work through
    // blekit's D-Bus backend, so this column is that backend plus the BGAPI layers on top.
    name: 'blekit-bgapi',
    cmd: node('blekit.js'),
    tests: SCANNERS,
    options: { backend: 'bgapi' },
    bgapiEmulator: true,
  },
  {
    name: 'bleak',
    cmd: [
      '/usr/bin/python3',
      '-u',
      fileURLToPath(new URL('../../bench/clients/bleak_client.py', import.meta.url)),
    ],
    tests: SCANNERS,
  },
  { name: 'node-ble', cmd: node('node-ble.js'), tests: CORE },
  { name: 'gatttool', cmd: node('gatttool.js'), tests: CORE },
];
const NOBLE: ClientSpec = { name: 'noble', cmd: node('noble.js'), tests: SCANNERS };

/**
 * Each round starts at a different client. With one fixed order the client in the first slot
 * read 15-20% slower than the same code in another slot, every round (a full run had blekit at
 * 46-51 reads/s and blekit-noacquire, identical for reads, at 55-61; alternating the two alone
 * gave 51-61 for both).
 */
function rotated<T>(xs: readonly T[], round: number): T[] {
  const k = ((round - 1) * Math.ceil(xs.length / ROUNDS)) % xs.length;
  return [...xs.slice(k), ...xs.slice(0, k)];
}

function config(spec: ClientSpec, tests: TestName[], burst: number): ClientConfig {
  return {
    address: HCI1,
    adapter: 'hci0',
    uuids: BENCH_UUIDS,
    tests,
    durationMs: QUICK ? 1500 : 3000,
    warmupMs: QUICK ? 500 : 1000,
    notifyMs: QUICK ? 3000 : 5000,
    // The window fits whole in a client's AcquireNotify socket (278 four-byte packets with
    // Linux's default 212992-byte send buffer), so a client that stalls loses nothing; at 512
    // the lab lost a few. Overridable to study the trade-off.
    creditWindow: Number(process.env.BLEKIT_BENCH_WINDOW ?? 256),
    creditTopUp: Number(process.env.BLEKIT_BENCH_TOPUP ?? 128),
    inFlight: 4,
    options: spec.options ?? {},
    advBurst: { id: burst, count: ADV_BURST },
  };
}

function sh(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', timeout: 20_000, stdio: 'pipe' });
  } catch (e) {
    return `failed: ${(e as Error).message}`;
  }
}

/** bluetoothd forgets the peripheral, so every client finds it through its own scan. */
function forgetPeripheral(): void {
  sh('dbus-send', [
    '--system',
    '--print-reply',
    '--dest=org.bluez',
    '/org/bluez/hci0',
    'org.bluez.Adapter1.RemoveDevice',
    `objpath:/org/bluez/hci0/dev_${HCI1.replace(/:/g, '_')}`,
  ]);
}

async function runClient(
  spec: ClientSpec,
  peer: LinePeer,
  tests: TestName[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{
  result: ClientResult | undefined;
  advAt: number;
  burst: AdvBurstRecord | undefined;
  stderr: string;
}> {
  const [cmd, ...args] = spec.cmd as [string, ...string[]];
  const id = (burstId = (burstId + 1) & 0xffff);
  const child = spawn(cmd, [...args, JSON.stringify(config(spec, tests, id))], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...env, ...spec.env },
  });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => {
    stderr = (stderr + b.toString()).slice(-4000);
  });
  child.stdin.on('error', () => undefined);
  let advAt = 0;
  let burst: AdvBurstRecord | undefined;
  let bursting: Promise<void> = Promise.resolve();
  let result: ClientResult | undefined;
  const lines = createInterface({ input: child.stdout });
  lines.on('line', (line) => {
    if (line === SCANNING_MARK) {
      advAt = Date.now();
      peer.command('adv on').catch((e: unknown) => (stderr += `\nadv on: ${String(e)}`));
    } else if (line === ADV_RATE_MARK) {
      // The peripheral's own advertisement must not share the air with the burst.
      bursting = peer
        .command('adv off')
        .then(() => advBurst(id, ADV_BURST, ADV_PACE))
        .catch((e: unknown) => ({
          id,
          sent: 0,
          startAt: 0,
          endAt: 0,
          sentPerSec: 0,
          error: String(e),
        }))
        .then((b) => {
          burst = b;
          child.stdin.write(`${BURST_DONE_MARK}\n`);
        });
    } else if (line.startsWith(RESULT_MARK)) {
      result = JSON.parse(line.slice(RESULT_MARK.length)) as ClientResult;
    }
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const limit = setTimeout(() => {
    stderr += `\nkilled after ${RUN_LIMIT_MS} ms`;
    child.kill('SIGKILL');
  }, RUN_LIMIT_MS);
  await exited;
  clearTimeout(limit);
  await bursting;
  await peer.command('adv off').catch(() => undefined);
  return { result, advAt, burst, stderr };
}

/** The peripheral in use and how to start it again (after a bluetoothd restart). */
interface PeerSlot {
  peer: LinePeer;
  make: () => LinePeer;
}

async function startPeer(make: () => LinePeer): Promise<PeerSlot> {
  const peer = make();
  await peer.ready;
  return { peer, make };
}

async function measure(
  spec: ClientSpec,
  slot: PeerSlot,
  phase: string,
  round: number,
  tests: TestName[],
  env?: NodeJS.ProcessEnv,
): Promise<void> {
  if (ONLY && !ONLY.includes(spec.name)) return;
  if (spec.name === 'noble') await takeHci0FromBluetoothd();
  else {
    forgetPeripheral();
    if ((await reviveBluetoothd()) || !slot.peer.alive) {
      await slot.peer.stop();
      slot.peer = slot.make();
      await slot.peer.ready;
    }
  }
  const peer = slot.peer;
  log(`${phase} round ${round}: ${spec.name} (${tests.join(', ')})`);
  const t = Date.now();
  let emulator: Emulator | undefined;
  try {
    if (spec.bgapiEmulator) emulator = await startEmulator();
  } catch (e) {
    log(`  ${spec.name}: ${(e as Error).message}`);
    record('run', {
      phase,
      client: spec.name,
      peripheral: peer.name,
      round,
      result: null,
      stderr: String(e),
    });
    return;
  }
  const run = emulator ? { ...spec, options: { ...spec.options, port: emulator.path } } : spec;
  const { result, advAt, burst, stderr } = await runClient(run, peer, tests, env).finally(() =>
    emulator?.stop(),
  );
  const errors = result?.errors ?? ['no result line'];
  if (errors.length) log(`  ${spec.name}: ${errors.join(' | ')}${result ? '' : `\n${stderr}`}`);
  record('run', {
    phase,
    client: spec.name,
    peripheral: peer.name,
    round,
    advAt,
    advBurst: burst,
    wallMs: Date.now() - t,
    result: result ?? null,
    stderr: result ? undefined : stderr,
  });
}

/** hci0's powered bit as btmgmt reports it; undefined while the index is not in mgmt's hands. */
function hci0Powered(): boolean | undefined {
  const out = sh('script', ['-qec', 'btmgmt -i hci0 info', '/dev/null']);
  const settings = /current settings:([^\n]*)/.exec(out)?.[1];
  return settings === undefined ? undefined : /\bpowered\b/.test(settings);
}

/**
 * noble binds hci0's HCI user channel, which the kernel grants only while the controller is
 * down. When a noble run closes that channel the kernel hands hci0 back to mgmt and
 * bluetoothd powers it on again (AutoEnable) a moment later, so a single power-off before the
 * first noble run left every later one waiting for "poweredOn" in vain. Before each run: switch
 * it off, and only go on once it has stayed off for a while (outlasting that re-enable).
 */
async function takeHci0FromBluetoothd(): Promise<void> {
  const until = Date.now() + 20_000;
  let offSince = 0;
  while (Date.now() < until) {
    const powered = hci0Powered();
    if (powered === false) {
      offSince ||= Date.now();
      if (Date.now() - offSince >= 2000) return;
    } else {
      offSince = 0;
      if (powered) log(sh('script', ['-qec', 'btmgmt -i hci0 power off', '/dev/null']).trim());
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  log('hci0 did not stay powered off for bluetoothd within 20 s; noble will likely not start');
}

/**
 * A crashed bluetoothd would fail every later run: record the crash, start a new one and power
 * the controllers on again, so the remaining libraries are still measured.
 */
async function reviveBluetoothd(): Promise<boolean> {
  if (!sh('pgrep', ['-x', 'bluetoothd']).startsWith('failed')) return false;
  log('bluetoothd is gone: starting it again');
  record('bluetoothdCrash', { at: Date.now() });
  spawn('/usr/libexec/bluetooth/bluetoothd', ['-n'], { stdio: 'ignore', detached: true }).unref();
  await new Promise((r) => setTimeout(r, 3000));
  for (const hci of ['hci0', 'hci1']) {
    sh('script', ['-qec', `btmgmt -i ${hci} power on`, '/dev/null']);
  }
  await new Promise((r) => setTimeout(r, 2000));
  return true;
}

function environment(): Record<string, unknown> {
  const dpkg = readFileSync('/var/lib/dpkg/status', 'utf8');
  const deb = (p: string): string =>
    new RegExp(`\nPackage: ${p}\n(?:[^\n]+\n)*?Version: (\\S+)`).exec(dpkg)?.[1] ?? '';
  return {
    date: new Date().toISOString(),
    vmKernel: sh('uname', ['-r']).trim(),
    vmCpus: cpus().length,
    vmCpuModel: cpus()[0]?.model,
    node: process.version,
    python: sh('/usr/bin/python3', ['--version']).trim(),
    bluez: deb('bluez'),
    pythonBleak: deb('python3-bleak'),
    rounds: ROUNDS,
    quick: QUICK,
    advBurst: ADV_BURST,
    advPace: ADV_PACE ?? null,
  };
}

async function main(): Promise<void> {
  record('environment', environment());
  const benchPeer = (): LinePeer =>
    new LinePeer('blekit-peripheral', process.execPath, [here('./peripheral.js'), 'hci1']);
  let slot = await startPeer(benchPeer);

  for (let round = 1; round <= ROUNDS; round++) {
    for (const spec of rotated(CLIENTS, round)) {
      await measure(spec, slot, 'main', round, pick(spec.tests));
    }
  }

  // Peripheral side: the same central against BlueZ's example-gatt-server and against blekit.
  const central = CLIENTS[0] as ClientSpec;
  if (!TESTS || TESTS.includes('notify')) {
    await slot.peer.stop();
    const example = await startPeer(
      () =>
        new LinePeer('bluez-example-gatt-server', '/usr/bin/python3', [
          '-u',
          `${PROJECT}test/lab/central/peers/bluez_example_peer.py`,
          'hci1',
        ]),
    );
    for (let round = 1; round <= ROUNDS; round++) {
      await measure(central, example, 'peripheral', round, ['scan', 'notify']);
    }
    await example.peer.stop();
    slot = await startPeer(benchPeer);
    for (let round = 1; round <= ROUNDS; round++) {
      await measure(central, slot, 'peripheral', round, ['scan', 'notify']);
    }
  }

  // Without credits: once per library, last, since a flood may leave bluetoothd behind.
  if (!TESTS || TESTS.includes('flood')) {
    for (const spec of CLIENTS) await measure(spec, slot, 'flood', 1, ['scan', 'flood']);
  }

  // noble needs hci0 away from bluetoothd (HCI user channel): powered off there, so it runs last.
  if (!ONLY || ONLY.includes('noble')) {
    await reviveBluetoothd();
    await slot.peer.stop();
    slot = await startPeer(benchPeer);
    for (let round = 1; round <= ROUNDS; round++) {
      await measure(NOBLE, slot, 'main', round, NOBLE.tests);
    }
    await measure(NOBLE, slot, 'flood', 1, ['scan', 'flood']);
    // Give hci0 back to bluetoothd as the lab found it.
    log(sh('script', ['-qec', 'btmgmt -i hci0 power on', '/dev/null']).trim());
  }
  await slot.peer.stop();
  closeAdvertiser();
  log('done');
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    log(`bench failed: ${(e as Error).stack ?? String(e)}`);
    process.exit(1);
  },
);
