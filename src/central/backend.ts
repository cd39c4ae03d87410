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
  readonly capabilities: BackendCapabilities;

  /** Opens the adapter (hciN name, index or address; default: the first one). */
  start(options: BackendStartOptions): Promise<AdapterInfo>;
  /** Disconnects everything and releases every resource. Idempotent. */
  stop(): Promise<void>;
  setPowered(on: boolean): Promise<void>;
  /** Power-cycles the adapter (drops every connection). */
  reset(): Promise<void>;

  /** Starts scanning; `onReport` gets each report until stopScan(). One scan at a time. */
  startScan(options: BackendScanOptions, onReport: (report: ScanResult) => void): Promise<void>;
  stopScan(): Promise<void>;

  connect(
    address: string,
    options: BackendConnectOptions,
    events: ConnectionEvents,
  ): Promise<BackendConnection>;

  /** Forgets the bond (and any cached database) of one device, or of every device. */
  removeBond(address?: string): Promise<void>;
}

export interface BackendCapabilities {
  passiveScan: boolean;
  /** exchangeMtu() can request a value (otherwise the stack negotiates by itself). */
  mtuExchange: boolean;
  /** rssi() works on a live connection. */
  connectionRssi: boolean;
  pairing: boolean;
}

export interface BackendStartOptions {
  adapter?: string | number;
  /** Power the adapter on when it is off; default true. */
  powerOn?: boolean;
}

export interface AdapterInfo {
  /** 'hci0' style name. */
  name: string;
  address: string;
  powered: boolean;
}

export interface BackendScanOptions {
  active: boolean;
  /** Service UUID filter the backend may push down to the controller/stack (normalized). */
  serviceUuids?: string[];
  minRssi?: number;
}

export interface BackendConnectOptions {
  addressType?: AddressType;
  timeoutMs: number;
  signal?: AbortSignal;
  retries: number;
}

/** What a backend reports about a live connection, through callbacks given at connect(). */
export interface ConnectionEvents {
  /** The link is gone (called once per connection). */
  onDisconnect(reason: DisconnectReason): void;
  /** The peer's database changed (Service Changed, re-resolution): handles may be stale. */
  onServicesChanged(): void;
}

export interface BackendSubscribeOptions {
  indicate: boolean;
  forceStartNotify: boolean;
}

export interface BackendConnection {
  readonly address: string;
  readonly addressType: AddressType;
  readonly connected: boolean;

  disconnect(): Promise<void>;

  /** Full discovery with handles; `refresh` ignores any cached database. */
  discover(refresh: boolean): Promise<ServiceInfo[]>;

  read(characteristic: CharacteristicInfo): Promise<Buffer>;
  write(characteristic: CharacteristicInfo, value: Buffer, withResponse: boolean): Promise<void>;
  readDescriptor(handle: number): Promise<Buffer>;
  writeDescriptor(handle: number, value: Buffer): Promise<void>;

  /** Enables notifications/indications; `onValue` gets every value in arrival order. */
  subscribe(
    characteristic: CharacteristicInfo,
    options: BackendSubscribeOptions,
    onValue: (value: Buffer) => void,
  ): Promise<void>;
  unsubscribe(characteristic: CharacteristicInfo): Promise<void>;
  /**
   * After the peer's database changed: whether the subscription to this (re-discovered)
   * characteristic still delivers, so it is kept instead of redone. Redoing one disables and
   * enables the CCCD, and values sent in between are lost. Backends without it always redo.
   */
  subscriptionAlive?(characteristic: CharacteristicInfo): boolean;

  /** ATT MTU in use. */
  mtu(): number;
  /** Requests an MTU where the backend can; returns the negotiated value. */
  exchangeMtu(mtu: number): Promise<number>;
  /** dBm, or undefined when the controller has no reading ("not available"). */
  rssi(): Promise<number | undefined>;
  pair(level: SecurityLevel): Promise<void>;
}

/** Makes a backend; the suite and Central take factories so each gets a fresh instance. */
export type CentralBackendFactory = () => CentralBackend;
