import { log } from '../../core/log.js';
import {
  BusyError,
  NotConnectedError,
  TimeoutError,
  delay,
  normalizeAddress,
  parseAdvertisingData,
  rssiOrUndefined,
  throwIfAborted,
  type AddressType,
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
import {
  BgapiResult,
  ConnectionStatusFlag,
  GapAddressType,
  GapDiscoverMode,
  NO_BOND,
  ScanPacketType,
  type BgapiEvent,
  type EventParams,
} from './codec/index.js';
import { BgapiConnection, type ConnectionHost } from './connection.js';
import { checkResult } from './errors.js';
import { BgapiLink } from './link.js';
import { validateConnectionParameters, validateScanParameters } from './params.js';
import { openSerialPort, type BgapiPort } from './transport.js';

/** GAP scan parameters of the BGAPI backend (pygatt's defaults). */
export interface BgapiScanParameters {
  /** Scan interval in units of 0.625 ms (4..16384); default 75 like pygatt. */
  scanInterval?: number;
  /** Scan window in units of 0.625 ms (4..scanInterval); default 50. */
  scanWindow?: number;
  /** gap_discover mode; default observation (every advertiser, not only discoverable ones). */
  discoverMode?: 'limited' | 'generic' | 'observation';
}

/** Connection parameters the BGAPI backend asks the dongle for. */
export interface BgapiConnectionParameters {
  /** Connection interval bounds in units of 1.25 ms (6..3200); defaults 60 and 76 like pygatt. */
  intervalMin?: number;
  intervalMax?: number;
  /** Supervision timeout in units of 10 ms (10..3200); default 100. */
  supervisionTimeout?: number;
  /** Slave latency in connection events (0..500); default 0. */
  latency?: number;
}

/** Options of `new BgapiBackend()`. */
export interface BgapiBackendOptions extends BgapiScanParameters, BgapiConnectionParameters {
  /** Serial port (or pty) path; default: the dongle with USB ID 2458:0001 (see start()). */
  port?: string;
  /** Opens the byte pipe instead of a serial port (tests, custom transports). */
  openPort?: () => Promise<BgapiPort>;
  /** Reset the dongle at start (pygatt does); default true. */
  reset?: boolean;
  /** How long to wait for system_boot after a reset; default 5 000 ms. */
  bootTimeoutMs?: number;
  /** Logs every BGAPI frame. */
  trace?: (line: string) => void;
}

/** Extra per-call knobs when the backend is used directly rather than through Central. */
export type BgapiScanOptions = BackendScanOptions & BgapiScanParameters;
/** Connect options of the BGAPI backend: the common ones plus connection parameters. */
export type BgapiConnectOptions = BackendConnectOptions & BgapiConnectionParameters;

/** Time for the dongle to come back after a reset when it re-enumerates on USB. */
const REOPEN_DELAY_MS = 1_000;

/**
 * The central role through a Silicon Labs BLED112-style dongle speaking BGAPI over a serial
 * port. start() resets the dongle and waits for it to boot (reopening the port if the reset
 * made it re-enumerate), then stops advertising, any GAP procedure and bondable mode.
 *
 * `adapter` in start(): a number or 'hciN' picks the N-th dongle found by USB ID when no
 * `port` is configured; with a port it is ignored (a dongle is not an HCI adapter).
 */
export class BgapiBackend implements CentralBackend, ConnectionHost {
  readonly name = 'bgapi';
  /** What a BLED112 can do through this backend. */
  readonly capabilities: BackendCapabilities = {
    passiveScan: true,
    mtuExchange: false,
    connectionRssi: true,
    pairing: true,
    bluezAgents: false,
  };
  private linkRef: BgapiLink | undefined;
  private portPath: string | undefined;
  private index = 0;
  private address = '';
  private scanSink: ((r: ScanResult) => void) | undefined;
  private scanOpts: BgapiScanOptions | undefined;
  private readonly seen = new Map<string, { adv: Buffer; rsp: Buffer }>();
  private readonly connections = new Map<number, BgapiConnection>();
  private readonly bonds = new Map<string, number>();
  private connecting = false;
  private readonly onEvent = (e: BgapiEvent): void => this.handleEvent(e);

  constructor(private readonly options: BgapiBackendOptions = {}) {
    validateScanParameters(options);
    validateConnectionParameters(options);
  }

  /** The open link to the dongle; NotConnectedError before start(). */
  get link(): BgapiLink {
    if (!this.linkRef || this.linkRef.closed)
      throw new NotConnectedError('BGAPI backend not started');
    return this.linkRef;
  }

  async start(o: BackendStartOptions): Promise<AdapterInfo> {
    if (this.linkRef && !this.linkRef.closed) await this.stop();
    if (typeof o.adapter === 'number') this.index = o.adapter;
    else if (typeof o.adapter === 'string' && /^hci\d+$/.test(o.adapter))
      this.index = Number(o.adapter.slice(3));
    await this.open();
    if (this.options.reset !== false) await this.resetDongle();
    await this.initialise();
    const a = await this.link.command('system_address_get', {});
    this.address = a.address;
    return { name: this.portPath ?? 'bgapi', address: this.address, powered: true };
  }

  private async open(): Promise<void> {
    const port = this.options.openPort
      ? await this.options.openPort()
      : await openSerialPort({ path: this.options.port, index: this.index });
    this.portPath = port.path;
    // The frame trace costs a JSON.stringify per frame: only when someone reads it.
    const bgapiLog = log('bgapi');
    const traceFrames =
      this.options.trace ?? (bgapiLog.enabled ? (l) => bgapiLog.debug(l) : undefined);
    this.linkRef = new BgapiLink(port, traceFrames);
    this.linkRef.on('event', this.onEvent);
    this.linkRef.once('close', () => this.onLinkClosed());
  }

  /**
   * system_reset has no response: the dongle reboots and sends system_boot. A USB dongle
   * drops off the bus while it does, so a closed port means "reopen and say hello".
   */
  private async resetDongle(): Promise<void> {
    const ms = this.options.bootTimeoutMs ?? 5_000;
    const link = this.link;
    const boot = link.waitEvent('system_boot', () => true, ms);
    await link.send('system_reset', { bootInDfu: 0 });
    try {
      await boot.promise;
      return;
    } catch (err) {
      if (!link.closed)
        throw new TimeoutError(`BGAPI dongle sent no system_boot within ${ms} ms after reset`, {
          cause: err,
        });
    }
    await delay(REOPEN_DELAY_MS);
    await this.open();
    await this.link.command('system_hello', {}, ms);
  }

  private async initialise(): Promise<void> {
    const link = this.link;
    // Central only: no advertising, no bonding unless asked, no leftover scan or connect.
    checkResult(
      (await link.command('gap_set_mode', { discover: 0, connect: 0 })).result,
      'gap_set_mode',
    );
    await link.command('sm_set_bondable_mode', { bondable: 0 });
    await link.command('gap_end_procedure', {});
    const { maxconn } = await link.command('system_get_connections', {});
    for (let h = 0; h < maxconn; h++) {
      await link.command('connection_disconnect', { connection: h });
    }
  }

  async stop(): Promise<void> {
    const link = this.linkRef;
    if (!link || link.closed) return;
    this.scanSink = undefined;
    for (const c of [...this.connections.values()]) await c.disconnect().catch(() => undefined);
    await link.command('gap_end_procedure', {}).catch(() => undefined);
    link.off('event', this.onEvent);
    await link.close();
    this.linkRef = undefined;
  }

  /** The dongle has no power switch: off ends scans and connections, on is a no-op. */
  async setPowered(on: boolean): Promise<void> {
    // A dongle has no power switch over BGAPI; "off" ends everything it is doing.
    if (on) return;
    await this.stopScan();
    for (const c of [...this.connections.values()]) await c.disconnect().catch(() => undefined);
  }

  async reset(): Promise<void> {
    this.scanSink = undefined;
    await this.resetDongle();
    for (const c of [...this.connections.values()]) c.gone('adapter');
    this.connections.clear();
    await this.initialise();
  }

  /** Lets pairings store a bond (sm_set_bondable_mode). */
  setBondable(on: boolean): Promise<void> {
    return this.link
      .command('sm_set_bondable_mode', { bondable: on ? 1 : 0 })
      .then(() => undefined);
  }

  /** Records the dongle's bond handle of a peer, so removeBond() can delete it. */
  rememberBond(address: string, bond: number): void {
    this.bonds.set(address, bond);
  }

  async startScan(options: BgapiScanOptions, onReport: (r: ScanResult) => void): Promise<void> {
    if (this.scanSink) throw new BusyError('A BGAPI scan is already running');
    validateScanParameters(options);
    const interval = options.scanInterval ?? this.options.scanInterval ?? 75;
    const window = options.scanWindow ?? this.options.scanWindow ?? Math.min(50, interval);
    const mode = options.discoverMode ?? this.options.discoverMode ?? 'observation';
    const link = this.link;
    checkResult(
      (
        await link.command('gap_set_scan_parameters', {
          scanInterval: interval,
          scanWindow: window,
          active: options.active ? 1 : 0,
        })
      ).result,
      'gap_set_scan_parameters',
    );
    this.seen.clear();
    this.scanOpts = options;
    checkResult(
      (await link.command('gap_discover', { mode: GapDiscoverMode[mode] })).result,
      'gap_discover',
    );
    this.scanSink = onReport;
  }

  /** Ends the GAP discovery procedure; reports stop. */
  async stopScan(): Promise<void> {
    if (!this.scanSink) return;
    this.scanSink = undefined;
    if (this.connecting) return;
    const r = await this.link.command('gap_end_procedure', {});
    if (r.result !== 0 && r.result !== BgapiResult.wrongState)
      checkResult(r.result, 'gap_end_procedure');
  }

  private handleEvent(e: BgapiEvent): void {
    if (e.name === 'gap_scan_response') this.onScanResponse(e.params);
    else if (e.name === 'connection_disconnected') {
      const c = this.connections.get(e.params.connection);
      if (c) {
        this.connections.delete(e.params.connection);
        c.gone(e.params.reason === BgapiResult.localHostTerminated ? 'local' : 'remote');
      }
    }
  }

  /**
   * Merges each advertisement with the latest scan response from the same address, the packet
   * just received parsed last: where both carry a field (a name, service data), the newer value
   * wins, so a scan response left from an earlier cycle cannot mask a changed advertisement.
   */
  private onScanResponse(p: EventParams<'gap_scan_response'>): void {
    const sink = this.scanSink;
    if (!sink) return;
    const o = this.scanOpts;
    const rssi = rssiOrUndefined(p.rssi);
    // Like the central's own filter: a report without a reading does not meet a minimum.
    if (o?.minRssi !== undefined && (rssi === undefined || rssi < o.minRssi)) return;
    if (p.bond !== NO_BOND) this.bonds.set(p.sender, p.bond);
    let entry = this.seen.get(p.sender);
    if (!entry) {
      entry = { adv: Buffer.alloc(0), rsp: Buffer.alloc(0) };
      this.seen.set(p.sender, entry);
    }
    const isResponse = p.packetType === ScanPacketType.scanResponse;
    if (isResponse) entry.rsp = p.data;
    else entry.adv = p.data;
    let advertisement;
    try {
      advertisement = parseAdvertisingData(
        Buffer.concat(isResponse ? [entry.adv, entry.rsp] : [entry.rsp, entry.adv]),
      );
    } catch {
      return; // a malformed advertisement from some device: not ours to fail on
    }
    if (
      o?.serviceUuids?.length &&
      !o.serviceUuids.some((u) => advertisement.serviceUuids.includes(u))
    ) {
      return;
    }
    const name = advertisement.localName ?? advertisement.shortName;
    sink({
      address: p.sender,
      addressType: p.addressType === GapAddressType.random ? 'random' : 'public',
      ...(name !== undefined ? { name } : {}),
      ...(rssi !== undefined ? { rssi } : {}),
      advertisement,
      timestamp: Date.now(),
    });
  }

  /** Connects (gap_connect_direct) and waits for the connection event, with retries on transient failures. */
  async connect(
    address: string,
    options: BgapiConnectOptions,
    events: ConnectionEvents,
  ): Promise<BgapiConnection> {
    const addr = normalizeAddress(address);
    validateConnectionParameters(options);
    throwIfAborted(options.signal);
    for (const c of this.connections.values()) {
      if (c.address === addr && c.connected) throw new BusyError(`${addr} is already connected`);
    }
    let attempt = 0;
    for (;;) {
      try {
        return await this.connectOnce(addr, options, events);
      } catch (err) {
        if (!(err instanceof BusyError) || attempt++ >= options.retries) throw err;
        await delay(500, options.signal);
      }
    }
  }

  private async connectOnce(
    addr: string,
    o: BgapiConnectOptions,
    events: ConnectionEvents,
  ): Promise<BgapiConnection> {
    const link = this.link;
    const addressType: AddressType = o.addressType ?? 'public';
    const scanning = this.scanSink;
    // The dongle runs one GAP procedure at a time: a scan must pause while connecting.
    this.connecting = true;
    try {
      if (scanning) await link.command('gap_end_procedure', {});
      const status = link.waitEvent(
        'connection_status',
        (p) => p.address === addr && (p.flags & ConnectionStatusFlag.connected) !== 0,
        o.timeoutMs,
        o.signal,
      );
      const r = await link.command('gap_connect_direct', {
        address: addr,
        addrType: GapAddressType[addressType],
        connIntervalMin: o.intervalMin ?? this.options.intervalMin ?? 60,
        connIntervalMax: o.intervalMax ?? this.options.intervalMax ?? 76,
        timeout: o.supervisionTimeout ?? this.options.supervisionTimeout ?? 100,
        latency: o.latency ?? this.options.latency ?? 0,
      });
      if (r.result !== 0) {
        status.cancel();
        status.promise.catch(() => undefined);
        checkResult(r.result, `gap_connect_direct ${addr}`);
      }
      let e;
      try {
        e = await status.promise;
      } catch (err) {
        // Nothing answered in time: the dongle keeps trying until told to stop.
        await link.command('gap_end_procedure', {}).catch(() => undefined);
        throw err;
      }
      const conn = new BgapiConnection(this, e.params.connection, addr, addressType, events);
      if (e.params.bonding !== NO_BOND) this.bonds.set(addr, e.params.bonding);
      this.connections.set(e.params.connection, conn);
      return conn;
    } finally {
      this.connecting = false;
      if (scanning && this.scanSink === scanning && !link.closed) {
        const mode =
          GapDiscoverMode[
            this.scanOpts?.discoverMode ?? this.options.discoverMode ?? 'observation'
          ];
        await link.command('gap_discover', { mode }).catch(() => undefined);
      }
    }
  }

  /** Deletes the dongle's bond with `address` (learned from scans and connections), or all. */
  async removeBond(address?: string): Promise<void> {
    const link = this.link;
    if (address === undefined) {
      const { bonds } = await link.command('sm_get_bonds', {});
      const handles: number[] = [];
      if (bonds > 0) {
        const collected = new Promise<void>((resolve) => {
          const on = (e: BgapiEvent): void => {
            if (e.name !== 'sm_bond_status') return;
            handles.push(e.params.bond);
            if (handles.length >= bonds) {
              link.off('event', on);
              resolve();
            }
          };
          link.on('event', on);
          setTimeout(() => {
            link.off('event', on);
            resolve();
          }, 2_000).unref();
        });
        await collected;
      }
      for (const h of handles.reverse()) {
        checkResult(
          (await link.command('sm_delete_bonding', { handle: h })).result,
          'sm_delete_bonding',
        );
      }
      this.bonds.clear();
      return;
    }
    const addr = normalizeAddress(address);
    const bond = this.bonds.get(addr);
    if (bond === undefined) return;
    checkResult(
      (await link.command('sm_delete_bonding', { handle: bond })).result,
      'sm_delete_bonding',
    );
    this.bonds.delete(addr);
  }

  private onLinkClosed(): void {
    for (const c of this.connections.values()) c.gone('adapter');
    this.connections.clear();
    this.scanSink = undefined;
  }
}
