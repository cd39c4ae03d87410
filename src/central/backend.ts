import type { AddressType } from '../core/index.js';
import type {
  DisconnectReason,
  ScanResult,
  SecurityLevel,
  ServiceInfo,
  CharacteristicInfo,
} from './types.js';

/**
 * The contract every central backend (BlueZ D-Bus, gatttool, BGAPI, ...) implements. The
 * backend-neutral layer (Central, Peripheral handles, the facade) validates input, resolves
 * UUIDs to handles, keeps subscriptions and reconnects; a backend only moves bytes. All
 * attribute addressing is by ATT handle, which every backend can express.
 *
 * Errors: backends throw the typed errors from src/core (NotConnectedError, TimeoutError,
 * AttError, BusyError, NotSupportedError, AbortError, BackendError ...), never raw ones.
 */
export interface CentralBackend {
  /** Short name for logs and errors ('dbus', 'gatttool', 'bgapi'). */
  readonly name: string;
  /** What this backend can do; fixed for its lifetime, readable before start(). */
  readonly capabilities: BackendCapabilities;

  /** Opens the adapter (hciN name, index or address; default: the first one). */
  start(options: BackendStartOptions): Promise<AdapterInfo>;
  /** Disconnects everything and releases every resource. Idempotent. */
  stop(): Promise<void>;
  /**
   * Powers the adapter on or off and resolves once the adapter reports the new state. Off
   * drops every connection.
   */
  setPowered(on: boolean, options?: BackendCallOptions): Promise<void>;
  /** Power-cycles the adapter (drops every connection). */
  reset(options?: BackendCallOptions): Promise<void>;

  /** Starts scanning; `onReport` gets each report until stopScan(). One scan at a time. */
  startScan(options: BackendScanOptions, onReport: (report: ScanResult) => void): Promise<void>;
  /** Ends the scan started by startScan(); no report arrives after it. A no-op when idle. */
  stopScan(): Promise<void>;

  /**
   * Connects to `address` ('AA:BB:CC:DD:EE:FF'), retrying transient failures up to
   * `options.retries` times within `options.timeoutMs` in all, and resolves once the link is
   * up and usable. `events` receives the connection's later disconnect and database changes.
   * Throws TimeoutError past the deadline, AbortError on `options.signal`, NotFoundError when
   * the stack does not know the device, BusyError when the stack keeps refusing.
   */
  connect(
    address: string,
    options: BackendConnectOptions,
    events: ConnectionEvents,
  ): Promise<BackendConnection>;

  /** Forgets the bond (and any cached database) of one device, or of every device. */
  removeBond(address?: string, options?: BackendCallOptions): Promise<void>;
}

/** What a backend can do; the neutral layer refuses the rest with NotSupportedError or InvalidArgumentError. */
export interface BackendCapabilities {
  /** Scans can be passive (listen only, no scan requests). */
  passiveScan: boolean;
  /** exchangeMtu() can request a value (otherwise the stack negotiates by itself). */
  mtuExchange: boolean;
  /** rssi() works on a live connection. */
  connectionRssi: boolean;
  /** pair() works. */
  pairing: boolean;
  /**
   * Pairing runs through bluetoothd, so a BlueZ agent answers its questions (Central.registerAgent).
   * Absent means false.
   */
  bluezAgents?: boolean;
}

/** Options of CentralBackend.start(). */
export interface BackendStartOptions {
  adapter?: string | number;
  /** Power the adapter on when it is off; default true. */
  powerOn?: boolean;
  /** Aborts when the caller stops waiting. */
  signal?: AbortSignal;
}

/** The adapter a Central runs on, as every backend can describe it. */
export interface AdapterInfo {
  /** 'hci0' style name. */
  name: string;
  /** The adapter's own address, 'AA:BB:CC:DD:EE:FF'. */
  address: string;
  /** Whether it was powered when start() returned. */
  powered: boolean;
}

/** Options of CentralBackend.startScan(), already validated and normalized. */
export interface BackendScanOptions {
  /** Active (send scan requests, get scan responses) or passive. */
  active: boolean;
  /** Service UUID filter the backend may push down to the controller/stack (normalized). */
  serviceUuids?: string[];
  /** Reports weaker than this (dBm) may be dropped by the stack. */
  minRssi?: number;
}

/** Options of CentralBackend.connect(), already validated. */
export interface BackendConnectOptions {
  /** The peer's address type when the caller knows it; otherwise the backend's best guess. */
  addressType?: AddressType;
  /** Deadline for the whole connect, retries included, in ms. */
  timeoutMs: number;
  /** Aborts the connect (AbortError). */
  signal?: AbortSignal;
  /** Extra attempts after transient failures. */
  retries: number;
}

/** What a backend reports about a live connection, through callbacks given at connect(). */
export interface ConnectionEvents {
  /** The link is gone (called once per connection). */
  onDisconnect(reason: DisconnectReason): void;
  /** The peer's database changed (Service Changed, re-resolution): handles may be stale. */
  onServicesChanged(): void;
}

/** How CentralBackend.subscribe() enables values: see SubscribeOptions. */
export interface BackendSubscribeOptions {
  indicate: boolean;
  forceStartNotify: boolean;
}

/**
 * Passed to every BackendConnection call that waits: `signal` aborts when the caller stops
 * waiting (timeout or abort). A backend that can cancel the request (drop it from its queue,
 * cancel a pairing) should; one that cannot may ignore it, and its late reply is discarded.
 */
export interface BackendCallOptions {
  signal?: AbortSignal;
}

/** BackendConnection.write()'s options: the call's signal, and whether order may be traded. */
export interface BackendWriteOptions extends BackendCallOptions {
  /**
   * True only when the caller opted out (WriteOptions.ordered false): a Write Command may then
   * overtake an earlier one to the same characteristic, if that makes it faster. Otherwise
   * Write Commands to one characteristic must reach the peer in the order they were written.
   */
  unordered?: boolean;
}

/** One live link to a peer, as a backend drives it; Device wraps it. Every call that waits receives the caller's signal in `options`. */
export interface BackendConnection {
  /** The peer's address, 'AA:BB:CC:DD:EE:FF'. */
  readonly address: string;
  /** Whether the peer's address is public or random. */
  readonly addressType: AddressType;
  /** False once the link is gone (onDisconnect has been called). */
  readonly connected: boolean;

  /** Ends the link; resolves when it is down. */
  disconnect(options?: BackendCallOptions): Promise<void>;

  /** Full discovery with handles; `refresh` ignores any cached database. */
  discover(refresh: boolean, options?: BackendCallOptions): Promise<ServiceInfo[]>;

  /** Reads a characteristic's value (long reads included). */
  read(characteristic: CharacteristicInfo, options?: BackendCallOptions): Promise<Buffer>;
  /**
   * Writes a characteristic's value: Write Request when `withResponse`, else Write Command.
   * Write Commands to one characteristic keep their order unless `options.unordered`.
   */
  write(
    characteristic: CharacteristicInfo,
    value: Buffer,
    withResponse: boolean,
    options?: BackendWriteOptions,
  ): Promise<void>;
  /** Reads the descriptor at `handle`. */
  readDescriptor(handle: number, options?: BackendCallOptions): Promise<Buffer>;
  /** Writes the descriptor at `handle`. */
  writeDescriptor(handle: number, value: Buffer, options?: BackendCallOptions): Promise<void>;

  /** Enables notifications/indications; `onValue` gets every value in arrival order. */
  subscribe(
    characteristic: CharacteristicInfo,
    options: BackendSubscribeOptions,
    onValue: (value: Buffer) => void,
    call?: BackendCallOptions,
  ): Promise<void>;
  /** Disables notifications/indications and stops calling the subscribe callback. */
  unsubscribe(characteristic: CharacteristicInfo, options?: BackendCallOptions): Promise<void>;
  /**
   * After the peer's database changed: whether the subscription to this (re-discovered)
   * characteristic still delivers, so it is kept instead of redone. Redoing one disables and
   * enables the CCCD, and values sent in between are lost. Backends without it always redo.
   */
  subscriptionAlive?(characteristic: CharacteristicInfo): boolean;

  /** ATT MTU in use. */
  mtu(): number;
  /** Requests an MTU where the backend can; returns the negotiated value. */
  exchangeMtu(mtu: number, options?: BackendCallOptions): Promise<number>;
  /** The link's current RSSI in dBm, or undefined when the controller has no reading. */
  rssi(options?: BackendCallOptions): Promise<number | undefined>;
  /** Pairs (and bonds) at the security level; resolves once the link is encrypted. */
  pair(level: SecurityLevel, options?: BackendCallOptions): Promise<void>;
}

/** Makes a backend; the suite and Central take factories so each gets a fresh instance. */
export type CentralBackendFactory = () => CentralBackend;
