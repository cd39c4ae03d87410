import type {
  AddressType,
  AdvertisingData,
  OperationOptions,
  SubscriptionLostError,
} from '../core/index.js';

/** pybtle's security levels: low = no encryption, medium = encrypted (unauthenticated), high = authenticated (MITM). */
export type SecurityLevel = 'low' | 'medium' | 'high';

/** One advertising report (merged with its scan response) as the central sees it. */
export interface ScanResult {
  /** The advertiser's address, 'AA:BB:CC:DD:EE:FF'. */
  address: string;
  /** Whether that address is public or random. */
  addressType: AddressType;
  /** Local name when advertised (complete or shortened). */
  name?: string;
  /** Received signal strength in dBm, when the stack reported one. */
  rssi?: number;
  /** The decoded advertising data (and scan response). */
  advertisement: AdvertisingData;
  /** Milliseconds since the epoch when the report arrived. */
  timestamp: number;
}

/** Which advertising reports a scan keeps; every given condition must hold. */
export interface ScanFilter {
  /** Substring the advertised name must contain (case-sensitive, like pygatt's filtered_scan). */
  nameContains?: string;
  /** At least one of these service UUIDs must be advertised. */
  serviceUuids?: (string | number)[];
  /** Manufacturer data with this company identifier must be present. */
  manufacturerId?: number;
  /** Reports weaker than this (dBm) are dropped. */
  minRssi?: number;
  /** Only these addresses. */
  addresses?: string[];
}

/** Options of Central.scan() and scanStream(). */
export interface ScanOptions extends ScanFilter {
  /** How long to scan, in ms; default 10 000. Infinity scans until the signal aborts. */
  durationMs?: number;
  /** Ends the scan early; scan() then resolves with what it found rather than rejecting. */
  signal?: AbortSignal;
  /** Active scanning asks for scan responses; passive only listens. Default true. */
  active?: boolean;
  /**
   * Report every advertisement (true) or only the first per address plus those whose data
   * changed (false, default). The list from scan() always holds one (latest) entry per address.
   */
  duplicates?: boolean;
}

/** Options of Central.scanStream(). */
export interface ScanStreamOptions extends ScanOptions {
  /** Reports buffered for a slow consumer before the oldest are dropped; default 1024. */
  bufferSize?: number;
}

/** Options of Central.connect(). */
export interface ConnectOptions {
  /**
   * The peer's address type. The gatttool and BGAPI backends assume 'public' without it, so a
   * random address needs it there; the D-Bus backend learns it from the scan.
   */
  addressType?: AddressType;
  /** Whole connect, including retries and service resolution; default 30 000 ms. */
  timeoutMs?: number;
  /** Aborts the connect: it rejects with AbortError. */
  signal?: AbortSignal;
  /** Extra attempts on transient failures (connection aborted locally, "In Progress"); default 3. */
  retries?: number;
  /** Reconnect when the link drops (not after disconnect()) and restore subscriptions. */
  autoReconnect?: boolean | AutoReconnectOptions;
  /** Pair after connecting when above 'low'. */
  securityLevel?: SecurityLevel;
  /**
   * Time limit of each operation of the new Device that sets none (read, write, subscribe,
   * pair...); default: the Central's `operationTimeoutMs`.
   */
  operationTimeoutMs?: number;
}

/** How a Device reconnects after its link drops: exponential back-off. */
export interface AutoReconnectOptions {
  /** First delay before reconnecting; doubles up to maxDelayMs. Default 500. */
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** Give up after this many failed attempts; default Infinity. */
  maxAttempts?: number;
}

/** Characteristic properties, as named by the Core spec (Vol 3 Part G 3.3.1.1) and BlueZ flags. */
export interface CharacteristicProperties {
  /** Its value may go in advertising data (Server Characteristic Configuration). */
  broadcast: boolean;
  /** Can be read. */
  read: boolean;
  /** Takes Write Commands (no response). */
  writeWithoutResponse: boolean;
  /** Takes Write Requests (answered). */
  write: boolean;
  /** Can send notifications. */
  notify: boolean;
  /** Can send indications (confirmed by the central). */
  indicate: boolean;
  /** Takes signed Write Commands. */
  authenticatedSignedWrites: boolean;
  /** Has an Extended Properties descriptor (reliableWrite, writableAuxiliaries). */
  extendedProperties: boolean;
  /** Takes reliable (queued, verified) writes. */
  reliableWrite: boolean;
  /** Its User Description descriptor is writable. */
  writableAuxiliaries: boolean;
}

/** A descriptor as discovery found it. */
export interface DescriptorInfo {
  uuid: string;
  handle: number;
}

/** A characteristic as discovery found it. */
export interface CharacteristicInfo {
  uuid: string;
  /** Handle of the characteristic declaration. */
  handle: number;
  /** Handle of the value attribute: what reads and writes address. */
  valueHandle: number;
  properties: CharacteristicProperties;
  descriptors: DescriptorInfo[];
}

/** A service as discovery found it, with its handle range and characteristics. */
export interface ServiceInfo {
  uuid: string;
  primary: boolean;
  startHandle: number;
  endHandle: number;
  /** The services this one includes (its Include declarations), in handle order. */
  includes: IncludedService[];
  characteristics: CharacteristicInfo[];
}

/** A service included by another (an Include declaration, 0x2802): which one, by its handles. */
export interface IncludedService {
  /**
   * Handle of the Include declaration itself. Absent where the stack does not tell it: BlueZ's
   * D-Bus API names the included service but not the declaration.
   */
  handle?: number;
  uuid: string;
  /** The included service's handle range; it is also in the list of services. */
  startHandle: number;
  endHandle: number;
}

/** Where a characteristic is: its UUID, a service + UUID pair when a UUID repeats, or its value handle. */
export type CharacteristicRef =
  | string
  | number
  | { service: string | number; characteristic: string | number }
  | { handle: number | string };

/** Options of Device.discover(). */
export interface DiscoverOptions extends OperationOptions {
  /** Re-read the database from the peer instead of returning the cached one. */
  refresh?: boolean;
}

/** Options of Device.write(): how to write, and the call's signal and time limit. */
export interface WriteOptions extends OperationOptions {
  /** Write Command (no response) instead of Write Request. */
  withoutResponse?: boolean;
  /**
   * With `withoutResponse`: `false` lets this write overtake earlier ones to the same
   * characteristic when that is faster. By default (true) writes without response to one
   * characteristic reach the peer's application in the order they were written, on every
   * backend. On the D-Bus backend, when the peer offers EATT (several ATT bearers, e.g. a BlueZ
   * peer), BlueZ 5.66 spreads quickly written commands across the bearers and the peer may take
   * them in any order; ordered writes then go one at a time through WriteValue, and
   * `ordered: false` keeps the faster AcquireWrite socket. Use it where order does not matter
   * (counters, credits, independent samples). Ignored for writes with response.
   */
  ordered?: boolean;
}

/** Options of Device.subscribe(): how to enable values, and the call's signal and time limit. */
export interface SubscribeOptions extends OperationOptions {
  /** Use indications even when notifications are offered. */
  indicate?: boolean;
  /**
   * Always enable through the CCCD write the backend waits for (D-Bus: StartNotify) instead of
   * a faster path (D-Bus: AcquireNotify). Some peers notify before the CCCD write is
   * acknowledged, and those first values are lost under AcquireNotify.
   */
  forceStartNotify?: boolean;
}

/** Options of Device.notifications(): the subscribe options plus the stream's buffer. */
export interface NotificationsOptions extends SubscribeOptions {
  /** Values buffered for a slow consumer before the oldest are dropped; default 256. */
  bufferSize?: number;
}

/** Receives each notified or indicated value, with the characteristic it came from. */
export type NotificationCallback = (value: Buffer, characteristic: CharacteristicInfo) => void;

/** Who ended a link: this side, the peer, the adapter (powered off, reset), or unknown. */
export type DisconnectReason = 'local' | 'remote' | 'adapter' | 'unknown';

/**
 * The events of a {@link Central}: name to listener arguments. `central.on('discover', (r) => ...)`
 * is typed from this map, so a misspelt name or a wrong listener fails to compile.
 */
export interface CentralEvents {
  /** A scan report that passed the scan's filter and duplicates rule. */
  discover: [result: ScanResult];
  /** The backend started scanning (emitted once per scan()/scanStream()). */
  scanStart: [];
  /** The scan ended: its duration passed, its signal aborted, or the stream was left. */
  scanStop: [];
}

/**
 * The events of a {@link Device}: name to listener arguments. No 'error' event is ever emitted,
 * so a Device without listeners never throws from an emit.
 */
export interface DeviceEvents {
  /** The link dropped or disconnect() was called; `reason` says which side ended it. */
  disconnect: [reason: DisconnectReason];
  /** Auto-reconnect restored the link, rediscovered the database and re-enabled subscriptions. */
  reconnect: [];
  /** One auto-reconnect attempt (1-based `attempt`) failed; the next waits longer. */
  reconnectFailed: [error: Error, attempt: number];
  /** The peer's database changed: handles may have moved; the cached database was dropped. */
  servicesChanged: [];
  /**
   * After a reconnect or a database change, a subscription could not be restored (the
   * characteristic is gone, or enabling it again failed); its callbacks were dropped. With no
   * listener, a BLEKIT_SUBSCRIPTION_LOST warning is emitted instead.
   */
  subscriptionLost: [error: SubscriptionLostError];
}
