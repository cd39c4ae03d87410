import { readdir } from 'node:fs/promises';
import {
  BackendError,
  BusyError,
  InvalidArgumentError,
  NotConnectedError,
  NotFoundError,
  delay,
  normalizeAddress,
  throwIfAborted,
} from '../../core/index.js';
import type {
  AdapterInfo,
  BackendCapabilities,
  BackendConnectOptions,
  BackendScanOptions,
  BackendStartOptions,
  CentralBackend,
  ConnectionEvents,
} from '../../central/backend.js';
import type { ScanResult } from '../../central/types.js';
import { Mgmt } from '../../mgmt/index.js';
import { removeBonds } from './bonds.js';
import { GatttoolConnection, type GatttoolSecurity } from './connection.js';
import { levelInOptions, linkEncrypted, withLevel } from './link-security.js';
import { describeValue } from '../../core/describe.js';
import { ATT_DEFAULT_MTU, ATT_MAX_MTU } from '../../protocol/index.js';
import { isTransientConnectError } from './errors.js';
import { hcitoolScan, mgmtPermission, mgmtScan, type Scanner } from './scan.js';
import { GatttoolSession, checkCommandLine, type SessionOptions } from './session.js';
import { isAdapterName, MAX_ADAPTER_INDEX } from '../../core/adapter-name.js';

/** pygatt's GATTToolBackend options, as they mean something in Node. */
export interface GatttoolBackendOptions {
  /** pygatt hci_device: 'hciN'; default: the adapter given to start() (Central's), else hci0. */
  adapter?: string;
  /** pygatt gatttool_logfile: every session appends its raw conversation here. */
  logFile?: string;
  /**
   * pygatt cli_options: extra gatttool arguments, e.g. ['--sec-level=medium', '--mtu=247'].
   * Passed as an argument array; options blekit itself controls (-i, -b, -I, commands) are
   * refused.
   */
  cliOptions?: string[];
  /**
   * pygatt search_window_size / max_read: pexpect needed both to bound its regex search and
   * its reads. Output here is parsed line by line as it arrives, so neither exists; the one
   * bound left is how long a single output line may grow before the session fails
   * (default 1 MiB).
   */
  maxLineLength?: number;
  /** pygatt start(reset_on_start): power-cycle the adapter in start(); default false. */
  resetOnStart?: boolean;
  /** pygatt start(initialization_timeout): how long gatttool may take to show its prompt. */
  initializationTimeoutMs?: number;
  /** 'mgmt' (default: full advertising data; needs CAP_NET_ADMIN) or 'hcitool' (pygatt's way). */
  scanTool?: 'mgmt' | 'hcitool';
  /** pygatt scan(run_as_root): run hcitool under `sudo -n` (scanTool 'hcitool' only). */
  runAsRoot?: boolean;
  /**
   * ATT MTU to request right after connecting, as bluetoothd does for its own links (gatttool
   * never does by itself); false keeps gatttool's 23 until exchangeMtu(). Default 517.
   */
  exchangeMtuOnConnect?: number | false;
  /** Time limit of each ATT operation (read, write, MTU); default 30 000 ms. */
  operationTimeoutMs?: number;
  /** Time limit of a full discovery; default 60 000 ms. */
  discoveryTimeoutMs?: number;
  /** How often a connected session checks the link (gatttool reports no disconnect); 1000 ms. */
  livenessIntervalMs?: number;
  /** Kill gatttool when this process dies, via setpriv --pdeathsig (default true). */
  dieWithParent?: boolean;
  /** Executables, for systems that keep them elsewhere. */
  gatttoolPath?: string;
  hcitoolPath?: string;
  bluetoothctlPath?: string;
}

/** gatttool long options that would break the session if given again by the caller. */
const RESERVED_LONG =
  /^--(adapter|device|interactive|addr-type|psm|primary|characteristics|char-read|char-write|char-write-req|char-desc|listen|help.*)(=|$)/;

/**
 * Short options blekit sets itself (and -h, which prints help and exits). GLib reads every
 * letter after a single dash as its own option, so '-ihci1' is -i -h -c -i -1 and '-Ib' is
 * -I -b: each letter of such a cluster is checked, not just the first.
 */
const RESERVED_SHORT = new Set(['i', 'I', 'b', 't', 'p', 'h']);

function reservedIn(option: string): string | undefined {
  const long = RESERVED_LONG.exec(option);
  if (long) return `--${long[1] as string}`;
  if (option.startsWith('--') || !option.startsWith('-')) return undefined;
  const letter = [...option.slice(1)].find((c) => RESERVED_SHORT.has(c));
  return letter === undefined ? undefined : `-${letter}`;
}

/**
 * Validates pygatt-style extra gatttool arguments and returns a copy; undefined gives [].
 * @throws InvalidArgumentError unless `options` is an array of non-empty strings without
 * control characters, none of them setting what blekit sets itself (-i, -b, -I, -t, -p, -h
 * and the command options, in their long forms too).
 */
export function checkCliOptions(options: unknown): string[] {
  if (options === undefined) return [];
  if (!Array.isArray(options) || !options.every((o) => typeof o === 'string')) {
    throw new InvalidArgumentError('cliOptions must be an array of strings');
  }
  for (const o of options as string[]) {
    // eslint-disable-next-line no-control-regex
    if (o === '' || /[\x00-\x1f\x7f]/.test(o)) {
      throw new InvalidArgumentError(`Invalid gatttool option ${describeValue(o)}`);
    }
    const reserved = reservedIn(o);
    if (reserved !== undefined) {
      throw new InvalidArgumentError(
        `gatttool option ${describeValue(o)} sets ${reserved}, which blekit sets itself`,
      );
    }
  }
  return [...(options as string[])];
}

function hciIndex(name: string): number {
  return parseInt(name.slice(3), 10);
}

/**
 * The central role through BlueZ's `gatttool` CLI, as pygatt's GATTToolBackend: one
 * `gatttool -I` per connection (the first one started by start(), for sendline()), the
 * kernel's mgmt API for adapter state and scanning, bluetoothctl for bonds.
 */
export class GatttoolBackend implements CentralBackend {
  readonly name = 'gatttool';
  readonly capabilities: BackendCapabilities = {
    passiveScan: false,
    mtuExchange: true,
    connectionRssi: false,
    pairing: true,
    bluezAgents: true,
  };
  private readonly cliOptions: string[];
  private mgmt: Mgmt | undefined;
  private adapterName = '';
  private adapterAddress = '';
  private main: GatttoolSession | undefined;
  private readonly connections = new Set<GatttoolConnection>();
  private scanner: Scanner | undefined;

  constructor(private readonly options: GatttoolBackendOptions = {}) {
    if (options.adapter !== undefined && !isAdapterName(options.adapter)) {
      throw new InvalidArgumentError(
        `adapter must be hci0..hci${MAX_ADAPTER_INDEX}: ${describeValue(options.adapter)}`,
      );
    }
    if (options.scanTool !== undefined && !['mgmt', 'hcitool'].includes(options.scanTool)) {
      throw new InvalidArgumentError(`scanTool must be 'mgmt' or 'hcitool'`);
    }
    this.cliOptions = checkCliOptions(options.cliOptions);
    const m = options.exchangeMtuOnConnect;
    if (
      m !== undefined &&
      m !== false &&
      !(Number.isInteger(m) && m >= ATT_DEFAULT_MTU && m <= ATT_MAX_MTU)
    ) {
      throw new InvalidArgumentError(
        `exchangeMtuOnConnect must be ${ATT_DEFAULT_MTU}..${ATT_MAX_MTU} or false: ${describeValue(m)}`,
      );
    }
  }

  /** The session sendline() talks to (started by start()). */
  get session(): GatttoolSession | undefined {
    return this.main;
  }

  private sessionOptions(): SessionOptions {
    const o = this.options;
    return {
      gatttool: o.gatttoolPath,
      adapter: this.adapterName,
      cliOptions: this.cliOptions,
      logFile: o.logFile,
      maxLineLength: o.maxLineLength,
      livenessIntervalMs: o.livenessIntervalMs,
      dieWithParent: o.dieWithParent,
    };
  }

  private openSession(): Promise<GatttoolSession> {
    return GatttoolSession.open(
      this.sessionOptions(),
      this.options.initializationTimeoutMs ?? 10_000,
    );
  }

  async start(options: BackendStartOptions): Promise<AdapterInfo> {
    if (this.mgmt)
      throw new BackendError('gatttool backend already started', { backend: 'gatttool' });
    const name = await resolveAdapter(this.options.adapter ?? options.adapter);
    const mgmt = await Mgmt.open();
    try {
      let info = await mgmt.send('ReadControllerInformation', hciIndex(name));
      this.mgmt = mgmt;
      this.adapterName = name;
      this.adapterAddress = info.address;
      if (this.options.resetOnStart) await this.reset();
      else if (!info.currentSettings.includes('powered') && options.powerOn !== false) {
        await this.setPowered(true);
      }
      info = await mgmt.send('ReadControllerInformation', hciIndex(name));
      this.main = await this.openSession();
      return { name, address: info.address, powered: info.currentSettings.includes('powered') };
    } catch (e) {
      this.mgmt = undefined;
      mgmt.close();
      throw e;
    }
  }

  async stop(): Promise<void> {
    if (!this.mgmt) return;
    await this.stopScan().catch(() => undefined);
    await Promise.allSettled([...this.connections].map((c) => c.disconnect()));
    const sessions = new Set([...this.connections].map((c) => c.session));
    if (this.main) sessions.add(this.main);
    await Promise.allSettled([...sessions].map((s) => s.close()));
    this.connections.clear();
    this.main = undefined;
    this.mgmt.close();
    this.mgmt = undefined;
  }

  private need(): Mgmt {
    if (!this.mgmt) throw new NotConnectedError('gatttool backend is not started');
    return this.mgmt;
  }

  async setPowered(on: boolean): Promise<void> {
    const mgmt = this.need();
    try {
      await mgmt.send('SetPowered', hciIndex(this.adapterName), { powered: on });
    } catch (e) {
      throw mgmtPermission(e, `Powering ${this.adapterName} ${on ? 'on' : 'off'}`);
    }
  }

  /** pygatt's reset (hciconfig reset): a power cycle, which drops every connection. */
  async reset(): Promise<void> {
    await this.setPowered(false);
    await this.setPowered(true);
  }

  async startScan(options: BackendScanOptions, onReport: (r: ScanResult) => void): Promise<void> {
    const mgmt = this.need();
    if (!options.active) throw new InvalidArgumentError('the gatttool backend scans actively only');
    if (this.scanner) throw new BusyError('A scan is already running');
    this.scanner =
      this.options.scanTool === 'hcitool'
        ? await hcitoolScan(
            this.adapterName,
            this.options.runAsRoot ?? false,
            10_000,
            onReport,
            this.options.hcitoolPath,
          )
        : await mgmtScan(mgmt, hciIndex(this.adapterName), onReport);
  }

  async stopScan(): Promise<void> {
    const s = this.scanner;
    this.scanner = undefined;
    await s?.stop();
  }

  /** pygatt's kill(): ends a running scan (the hcitool process, or mgmt discovery). */
  kill(): Promise<void> {
    return this.stopScan();
  }

  async connect(
    address: string,
    options: BackendConnectOptions,
    events: ConnectionEvents,
  ): Promise<GatttoolConnection> {
    this.need();
    const addr = normalizeAddress(address);
    const type = options.addressType ?? 'public';
    if (type !== 'public' && type !== 'random') {
      throw new InvalidArgumentError('addressType must be public or random');
    }
    const signal = options.signal;
    const deadline = Date.now() + options.timeoutMs;
    throwIfAborted(signal);
    const free = this.main && this.main.alive && !this.main.connected && !this.busy(this.main);
    const session = free ? (this.main as GatttoolSession) : await this.openSession();
    if (!free && (!this.main || !this.main.alive)) this.main = session;
    try {
      await connectSession(session, addr, type, deadline, signal, options.retries);
    } catch (e) {
      if (session !== this.main) await session.close();
      throw e;
    }
    const conn = new GatttoolConnection(
      session,
      addr,
      type,
      events,
      {
        operationTimeoutMs: this.options.operationTimeoutMs ?? 30_000,
        discoveryTimeoutMs: this.options.discoveryTimeoutMs ?? 60_000,
      },
      (c) => {
        this.connections.delete(c);
        if (c.session !== this.main) void c.session.close();
      },
      this.security(addr, type),
    );
    this.connections.add(conn);
    const mtu = this.options.exchangeMtuOnConnect ?? 517;
    if (mtu !== false) await conn.exchangeMtuOnConnect(mtu);
    return conn;
  }

  /** What a connection needs to change its security: see GatttoolSecurity. */
  private security(addr: string, type: 'public' | 'random'): GatttoolSecurity {
    return {
      level: levelInOptions(this.cliOptions),
      reopen: async (level, timeoutMs, signal) => {
        const deadline = Date.now() + timeoutMs;
        const s = await GatttoolSession.open(
          { ...this.sessionOptions(), cliOptions: withLevel(this.cliOptions, level) },
          Math.min(timeoutMs, this.options.initializationTimeoutMs ?? 10_000),
        );
        try {
          await connectSession(s, addr, type, deadline, signal, 1);
        } catch (e) {
          await s.close();
          throw e;
        }
        return s;
      },
      encrypted: () => linkEncrypted(this.adapterName, addr, 5000, this.options.hcitoolPath),
    };
  }

  private busy(s: GatttoolSession): boolean {
    return [...this.connections].some((c) => c.session === s);
  }

  /** pygatt's clear_bond: bluetoothctl `remove` for one address, or every paired device. */
  async removeBond(address?: string): Promise<void> {
    this.need();
    const addr = address === undefined ? undefined : normalizeAddress(address);
    await removeBonds(this.adapterAddress, addr, 30_000, this.options.bluetoothctlPath);
  }

  /**
   * pygatt's sendline: one raw line to the start() session. Resolves with what gatttool
   * printed synchronously for it; answers that come later (reads, discovery) go to the log
   * file and to `session.onEvent` listeners.
   */
  async sendline(line: string, timeoutMs = 10_000): Promise<string[]> {
    checkCommandLine(line);
    if (!this.main || !this.main.alive) {
      this.need();
      this.main = await this.openSession();
    }
    const events = await this.main.command(line, {}, { what: `sendline ${line}`, timeoutMs });
    return events.map((e) => describe(e));
  }
}

/**
 * gatttool's `connect` on `session`, with up to `retries` more attempts after transient
 * failures, all before `deadline`. A failed attempt is followed by `disconnect`, so the session
 * is clean for whatever comes next.
 */
async function connectSession(
  session: GatttoolSession,
  addr: string,
  type: 'public' | 'random',
  deadline: number,
  signal: AbortSignal | undefined,
  retries: number,
): Promise<void> {
  const left = (): number => Math.max(1, deadline - Date.now());
  for (let attempt = 0; ;) {
    try {
      await session.command(
        `connect ${addr} ${type}`,
        {
          needsLink: false,
          sync: (evs) => {
            if (!evs.some((e) => e.kind === 'connecting')) {
              throw new BusyError(`gatttool session is busy with another connection`);
            }
          },
          result: (ev) => (ev.kind === 'connected' ? true : undefined),
        },
        { what: `connect to ${addr}`, timeoutMs: left(), signal },
      );
      return;
    } catch (e) {
      await session
        .command('disconnect', { needsLink: false }, { what: 'disconnect', timeoutMs: 5000 })
        .catch(() => undefined);
      const transient = isTransientConnectError((e as Error).message);
      if (!transient || attempt >= retries || deadline - Date.now() < 100) throw e;
      attempt++;
      await delay(Math.min(250 * 2 ** (attempt - 1), left()), signal);
    }
  }
}

function describe(e: Parameters<Parameters<GatttoolSession['onEvent']>[0]>[0]): string {
  return e.kind === 'text' ? e.text : JSON.stringify(e);
}

/** 'hciN' from an adapter option: a name, an index, or an address (looked up in sysfs). */
async function resolveAdapter(adapter: string | number | undefined): Promise<string> {
  if (adapter === undefined) return 'hci0';
  if (typeof adapter === 'number') {
    if (!Number.isInteger(adapter) || adapter < 0) {
      throw new InvalidArgumentError(`Invalid adapter index ${adapter}`);
    }
    return `hci${adapter}`;
  }
  if (/^hci\d+$/.test(adapter)) return adapter;
  const want = normalizeAddress(adapter);
  const mgmt = await Mgmt.open();
  try {
    const names = (await readdir('/sys/class/bluetooth')).filter((n) => /^hci\d+$/.test(n));
    for (const n of names) {
      const info = await mgmt.send('ReadControllerInformation', hciIndex(n));
      if (info.address === want) return n;
    }
  } finally {
    mgmt.close();
  }
  throw new NotFoundError(`No adapter with address ${want}`);
}
