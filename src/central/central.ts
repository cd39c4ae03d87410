import { EventEmitter } from 'node:events';
import { BoundedQueue, type BoundedStream } from '../core/bounded-queue.js';
import { log, reportDrop } from '../core/log.js';
import {
  AbortError,
  runOperation,
  type Operation,
  type OperationOptions,
  BusyError,
  InvalidArgumentError,
  NotConnectedError,
  NotSupportedError,
  normalizeAddress,
  throwIfAborted,
  withTimeout,
} from '../core/index.js';
import type { AdapterInfo, BackendConnection, CentralBackend } from './backend.js';
import { DEFAULT_OPERATION_MS, Device, checkSecurityLevel } from './device.js';
import { advertisementChanged, compileScanFilter, matchesScanFilter } from './scan-filter.js';
import type {
  CentralEvents,
  ConnectOptions,
  ScanOptions,
  ScanResult,
  ScanStreamOptions,
} from './types.js';
import { isAdapterIndex, isAdapterName, MAX_ADAPTER_INDEX } from '../core/adapter-name.js';
import { describeValue } from '../core/describe.js';
// Types only: the agent's code loads on the first registerAgent(), keeping `blekit/central` light.
import type { Agent, AgentOptions } from '../bluez/agent.js';
import type { AgentRegistration, RegisterAgentOptions } from '../bluez/agent-registry.js';

/** Options of `new Central()`. */
export interface CentralOptions {
  backend: CentralBackend;
  /** 'hci0', 0, or the adapter's address; default: the backend's first adapter. */
  adapter?: string | number;
  /**
   * Default time limit of every operation that waits and sets no `timeoutMs` of its own:
   * start, setPowered, reset, clearBond and each connected Device's read, write, subscribe,
   * pair... (ConnectOptions.operationTimeoutMs overrides it per device). Default 30 000 ms.
   */
  operationTimeoutMs?: number;
  /**
   * Aborts every pending operation of this Central and its devices, e.g. on SIGINT. Scans and
   * connects take their own signal.
   */
  signal?: AbortSignal;
}

const trace = log('central');
const DEFAULT_SCAN_MS = 10_000;
const DEFAULT_CONNECT_MS = 30_000;
/** Reports buffered for a slow async-iterator consumer before the oldest are dropped. */
const STREAM_BUFFER = 1024;

const COLON_ADDRESS = /^[0-9A-F]{2}(:[0-9A-F]{2}){5}$/i;

function checkAdapter(a: unknown): void {
  if (a === undefined) return;
  if (isAdapterIndex(a) || isAdapterName(a) || (typeof a === 'string' && COLON_ADDRESS.test(a)))
    return;
  throw new InvalidArgumentError(
    `adapter must be hci0..hci${MAX_ADAPTER_INDEX}, an index 0..${MAX_ADAPTER_INDEX} or an address: ${describeValue(a)}`,
  );
}

function checkDuration(ms: unknown, what: string): number {
  if (typeof ms !== 'number' || !(ms >= 0)) {
    throw new InvalidArgumentError(`${what} must be a number of ms >= 0: ${describeValue(ms)}`);
  }
  return ms;
}

/**
 * The central role on one adapter, backend-neutral. Events ({@link CentralEvents}): 'discover'
 * while a scan runs, 'scanStart', 'scanStop'. `await using central = new Central(...)` stops it
 * when the scope ends.
 *
 * @example
 * ```ts
 * await using central = new Central({ backend: new DbusBackend() });
 * await central.start();
 * central.on('discover', (r) => console.log(r.address, r.rssi));
 * await central.scan({ durationMs: 3000 });
 * ```
 */
export class Central extends EventEmitter<CentralEvents> {
  /** The backend this central drives (D-Bus, gatttool, BGAPI...). */
  readonly backend: CentralBackend;
  private readonly adapterOpt: string | number | undefined;
  private info: AdapterInfo | undefined;
  private scanning = false;
  private readonly devices = new Set<Device>();
  private readonly agents = new Map<Agent, AgentRegistration>();
  /** Time limit of each operation that sets none; see CentralOptions.operationTimeoutMs. */
  operationTimeoutMs: number;
  /** @internal The signal every operation of this Central and its devices also obeys. */
  readonly signal: AbortSignal | undefined;

  constructor(options: CentralOptions) {
    super();
    if (!options?.backend) throw new InvalidArgumentError('a backend is required');
    checkAdapter(options.adapter);
    this.backend = options.backend;
    this.adapterOpt = options.adapter;
    this.operationTimeoutMs = checkDuration(
      options.operationTimeoutMs ?? DEFAULT_OPERATION_MS,
      'operationTimeoutMs',
    );
    this.signal = options.signal;
  }

  /** The adapter once start() has resolved, else undefined. */
  get adapter(): AdapterInfo | undefined {
    return this.info;
  }

  /** Opens the adapter (powering it on); resolves to what the backend knows of it. */
  async start(options: OperationOptions = {}): Promise<AdapterInfo> {
    if (this.info) return this.info;
    this.info = await this.op('start', options, (signal) =>
      this.backend.start({ adapter: this.adapterOpt, powerOn: true, signal }),
    );
    const { name, address, powered } = this.info;
    trace.debug(`started: ${this.backend.name} backend, ${name} ${address} powered=${powered}`);
    return this.info;
  }

  /** Disconnects every device, ends any scan and frees every backend resource. */
  async stop(): Promise<void> {
    const devices = [...this.devices];
    trace.debug(`stopping: ${devices.length} device(s) to disconnect`);
    await Promise.allSettled(devices.map((d) => d.disconnect()));
    this.devices.clear();
    const agents = [...this.agents.keys()];
    await Promise.allSettled(agents.map((a) => this.unregisterAgent(a)));
    await this.backend.stop();
    this.info = undefined;
  }

  /**
   * Registers a pairing agent with bluetoothd, which asks it to confirm, authorize or enter
   * passkeys while this central pairs (and, as the default agent, for any other pairing on the
   * machine). Give an Agent or its options; requests without a callback are rejected. Works on
   * backends that pair through bluetoothd (D-Bus, gatttool); elsewhere NotSupportedError.
   * `asDefault` (default true) should stay on: the agent has a D-Bus connection of its own,
   * and bluetoothd consults a non-default agent only for pairings asked over that connection.
   * stop() unregisters it.
   */
  async registerAgent(
    agent: Agent | AgentOptions = {},
    options: RegisterAgentOptions = {},
  ): Promise<Agent> {
    if (!this.backend.capabilities.bluezAgents) {
      throw new NotSupportedError(
        `The ${this.backend.name} backend does not pair through bluetoothd: it has no agents`,
      );
    }
    const { Agent: AgentClass, registerAgentOnSystemBus } = await import('./agent.js');
    const a = agent instanceof AgentClass ? agent : new AgentClass(agent);
    if (this.agents.has(a)) throw new BusyError('agent is already registered');
    const registration = await registerAgentOnSystemBus(a, {
      asDefault: options.asDefault ?? true,
    });
    this.agents.set(a, registration);
    trace.debug(`agent registered: ${a.capability}`);
    return a;
  }

  /** Unregisters an agent registered with registerAgent(); unknown agents are ignored. */
  async unregisterAgent(agent: Agent): Promise<void> {
    const registration = this.agents.get(agent);
    if (!registration) return;
    this.agents.delete(agent);
    await registration.unregister();
  }

  /** Powers the adapter on or off (off drops every connection). */
  async setPowered(on: boolean, options: OperationOptions = {}): Promise<void> {
    this.started();
    await this.op('setPowered', options, (signal) => this.backend.setPowered(on, { signal }));
  }

  /** Power-cycles the adapter: every connection drops (devices with autoReconnect return). */
  async reset(options: OperationOptions = {}): Promise<void> {
    this.started();
    await this.op('reset', options, (signal) => this.backend.reset({ signal }));
  }

  /**
   * Scans for `durationMs` (or until `signal` aborts; aborting ends the scan normally) and
   * resolves to one entry per address, the latest report. Each report is also emitted as
   * 'discover'.
   */
  scan(options: ScanOptions = {}): Promise<ScanResult[]> {
    const list = new Map<string, ScanResult>();
    return this.runScan(options, (r) => list.set(r.address, r)).then(() => [...list.values()]);
  }

  /** pygatt's filtered_scan: scan() keeping devices whose name contains `name`. */
  filteredScan(name: string, options: ScanOptions = {}): Promise<ScanResult[]> {
    return this.scan({ ...options, nameContains: name });
  }

  /**
   * The same scan as a live stream; breaking out of the loop ends the scan, and so do the
   * duration and the signal (the loop then ends normally). A consumer more than `bufferSize`
   * (default 1024) reports behind loses the oldest: the stream's `dropped` counts them, and
   * the first drop is reported as a BLEKIT_SCAN_DROPPED warning (see log.ts).
   *
   * @example
   * ```ts
   * const stream = central.scanStream({ durationMs: 10_000, serviceUuids: ['180d'] });
   * for await (const r of stream) console.log(r.address, r.rssi);
   * if (stream.dropped > 0) console.warn(`${stream.dropped} reports dropped`);
   * ```
   */
  scanStream(options: ScanStreamOptions = {}): BoundedStream<ScanResult> {
    const stopper = new AbortController();
    const outer = options.signal;
    const onOuter = (): void => stopper.abort();
    let run: Promise<void> = Promise.resolve();
    const queue: BoundedQueue<ScanResult> = new BoundedQueue<ScanResult>({
      limit: options.bufferSize ?? STREAM_BUFFER,
      overflow: 'dropOldest',
      onDrop: (n) => reportDrop('central', 'BLEKIT_SCAN_DROPPED', 'scanStream', n),
      onStart: () => {
        outer?.addEventListener('abort', onOuter, { once: true });
        if (outer?.aborted) stopper.abort();
        run = this.runScan({ ...options, signal: stopper.signal }, undefined, (r) =>
          queue.push(r),
        ).then(
          () => queue.end(),
          (e: unknown) => queue.fail(e as Error),
        );
      },
      onReturn: () => run,
    });
    queue.onDone(() => {
      outer?.removeEventListener('abort', onOuter);
      stopper.abort();
    });
    return queue;
  }

  /** `every` gets each matching report; `reported` only those the duplicates rule lets through. */
  private async runScan(
    options: ScanOptions,
    every?: (r: ScanResult) => void,
    reported?: (r: ScanResult) => void,
  ): Promise<void> {
    const filter = compileScanFilter(options);
    const duration = checkDuration(options.durationMs ?? DEFAULT_SCAN_MS, 'durationMs');
    const active = options.active ?? true;
    if (typeof active !== 'boolean') throw new InvalidArgumentError('active must be a boolean');
    if (!active && !this.backend.capabilities.passiveScan) {
      throw new InvalidArgumentError(
        `The ${this.backend.name} backend cannot scan passively (active: false)`,
      );
    }
    this.started();
    if (this.scanning) throw new BusyError('A scan is already running');
    const signal = options.signal;
    throwIfAborted(signal);
    const last = new Map<string, ScanResult>();
    const onReport = (r: ScanResult): void => {
      if (!matchesScanFilter(r, filter)) return;
      const prev = last.get(r.address);
      last.set(r.address, r);
      every?.(r);
      if (!options.duplicates && prev && !advertisementChanged(prev, r)) return;
      reported?.(r);
      this.emit('discover', r);
    };
    this.scanning = true;
    try {
      await this.backend.startScan(
        { active, serviceUuids: filter.serviceUuids, minRssi: filter.minRssi },
        onReport,
      );
      this.emit('scanStart');
      if (trace.enabled) {
        trace.debug(`scan started: ${active ? 'active' : 'passive'}, ${duration} ms`);
      }
      try {
        await withTimeout(new Promise<never>(() => {}), duration, 'scan', signal);
      } catch (e) {
        // The duration ending or the caller aborting is how a scan normally finishes.
        if (!(e instanceof AbortError) && (e as Error).name !== 'TimeoutError') throw e;
      } finally {
        await this.backend.stopScan();
        trace.debug(`scan stopped: ${last.size} device(s) seen`);
        this.emit('scanStop');
      }
    } finally {
      this.scanning = false;
    }
  }

  /**
   * Connects (with retries on transient failures, waiting for service resolution), then pairs
   * when `securityLevel` is above 'low'.
   * @throws InvalidArgumentError for a malformed address or option; NotConnectedError before
   * start(); TimeoutError past `timeoutMs` (default 30 000 ms, retries included); AbortError on
   * `signal`; BusyError when the stack kept refusing through every retry; what Device.pair()
   * throws when pairing fails.
   */
  async connect(address: string, options: ConnectOptions = {}): Promise<Device> {
    const addr = normalizeAddress(address);
    if (options.addressType !== undefined && !['public', 'random'].includes(options.addressType)) {
      throw new InvalidArgumentError(`addressType must be public or random`);
    }
    const timeoutMs = checkDuration(options.timeoutMs ?? DEFAULT_CONNECT_MS, 'timeoutMs');
    const retries = options.retries ?? 3;
    if (!Number.isInteger(retries) || retries < 0)
      throw new InvalidArgumentError('retries must be an integer >= 0');
    const level = checkSecurityLevel(options.securityLevel ?? 'low');
    this.started();
    throwIfAborted(options.signal);

    // The backend's callbacks reach the Device once it exists (it needs the connection first).
    const holder: { device?: Device } = {};
    const connectOnce = (
      events: Parameters<CentralBackend['connect']>[2],
      signal?: AbortSignal,
    ): Promise<BackendConnection> =>
      this.backend.connect(
        addr,
        { addressType: options.addressType, timeoutMs, signal, retries },
        events,
      );
    const started = Date.now();
    trace.debug(`connecting to ${addr} (timeout ${timeoutMs} ms, ${retries} retries)`);
    const conn = await connectOnce(
      Device.events(() => holder.device),
      options.signal,
    ).catch((e: unknown) => {
      trace.debug(`connect to ${addr} failed: ${String(e)}`);
      throw e;
    });
    trace.debug(`connected to ${addr} in ${Date.now() - started} ms`);
    const auto = options.autoReconnect;
    const device = new Device(
      (events) => connectOnce(events),
      conn,
      auto === true ? {} : auto || undefined,
      (d) => this.devices.delete(d),
      {
        timeoutMs: checkDuration(
          options.operationTimeoutMs ?? this.operationTimeoutMs,
          'operationTimeoutMs',
        ),
        signal: this.signal,
      },
    );
    holder.device = device;
    this.devices.add(device);
    if (level !== 'low') {
      try {
        await device.pair(level);
      } catch (e) {
        await device.disconnect().catch(() => undefined);
        throw e;
      }
    }
    return device;
  }

  /** Forgets the bond with one device, or with all when no address is given. */
  async clearBond(address?: string, options: OperationOptions = {}): Promise<void> {
    const addr = address === undefined ? undefined : normalizeAddress(address);
    this.started();
    await this.op('clearBond', options, (signal) => this.backend.removeBond(addr, { signal }));
  }

  /** Devices connected through this central. */
  connectedDevices(): Device[] {
    return [...this.devices].filter((d) => d.connected);
  }

  /** `await using` support: stop() when the scope ends. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  private op<T>(what: string, options: OperationOptions, run: Operation<T>): Promise<T> {
    return runOperation(what, options, this, run);
  }

  private started(): void {
    if (!this.info) throw new NotConnectedError('Central is not started: call start() first');
  }
}
