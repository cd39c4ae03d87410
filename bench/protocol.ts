// What the bench's processes say to each other: the bench peripheral's GATT layout, the JSON
// config every client takes (argv[2]) and the JSON result it prints on one line. The Python
// client (clients/bleak_client.py) reads and writes the same shapes.

/** 0000XXXX-b1e0-4000-8000-626c656b6974 ('blekit'), the conformance suite's UUID family. */
export function benchUuid(n: number): string {
  return `0000${n.toString(16).padStart(4, '0')}-b1e0-4000-8000-626c656b6974`;
}

/**
 * The bench service. `seq` and `credits` follow the conformance peer's contract
 * (test/lab/central/peer.ts), so BlueZ's example-gatt-server peer serves them too.
 */
export const BENCH_UUIDS = {
  service: benchUuid(0xc000),
  /** read: a 20-byte value. */
  read: benchUuid(0xc001),
  /** notify: u32 LE sequence numbers 0, 1, 2 ... one per credit. */
  seq: benchUuid(0xc003),
  /** write or write command: u16 LE N grants N more notifications; ff ff ff ff restarts at 0. */
  credits: benchUuid(0xc004),
  /** write (with response only): counted. */
  write: benchUuid(0xc010),
  /**
   * write-without-response only: counted. Served through the AcquireWrite socket
   * (fastWrite), so the peripheral takes each write as one packet instead of a D-Bus call.
   * An earlier lab run saw bluetoothd 5.66 drop writes on that socket (EAGAIN) and crash; its
   * code retries through WriteValue when the socket is full while flushing the writes it queued
   * during AcquireWrite, so the bench sends one write at a time and counts what arrives.
   */
  wwr: benchUuid(0xc011),
  /** read: JSON PeripheralStats. */
  stats: benchUuid(0xc012),
  /** write: one byte op, see CONTROL. */
  control: benchUuid(0xc013),
  /**
   * More write-with-response characteristics, counted with `write`: BlueZ 5.66 answers a second
   * WriteValue on a characteristic whose first is pending with "In Progress", so writes in
   * flight at once go to different characteristics.
   */
  write2: benchUuid(0xc014),
  write3: benchUuid(0xc015),
  write4: benchUuid(0xc016),
  /**
   * More read characteristics, counted with `read`: bluetoothd 5.66 answers overlapping
   * ReadValue calls on one characteristic from a single ATT Read, so reads in flight at once go
   * to different characteristics, and every read counted is one the peripheral served.
   */
  read2: benchUuid(0xc017),
  read3: benchUuid(0xc018),
  read4: benchUuid(0xc019),
} as const;

export const CONTROL = {
  /** Zero the read and write counters. */
  reset: 1,
  /** Notify without credits, as fast as the peripheral can, until floodOff or unsubscribe. */
  floodOn: 2,
  floodOff: 3,
} as const;

export const PAYLOAD_BYTES = 20;

/** What the stats characteristic returns (times are Date.now() in the VM, shared by all). */
export interface PeripheralStats {
  /** ATT reads served on the read characteristics (read, read2..read4). */
  reads: number;
  writes: number;
  wwr: number;
  /** Epoch ms of the first and last write without response since the reset (0 if none). */
  wwrFirst: number;
  wwrLast: number;
  notified: number;
}

export type TestName =
  'scan' | 'read' | 'write' | 'wwr' | 'notify' | 'readWindowed' | 'writeWindowed' | 'flood';

export interface ClientConfig {
  address: string;
  /** Central's controller, 'hci0'. */
  adapter: string;
  uuids: typeof BENCH_UUIDS;
  tests: TestName[];
  /** How long each timed test runs. */
  durationMs: number;
  /** How long the same operation runs untimed before each timed read, write and wwr test. */
  warmupMs: number;
  notifyMs: number;
  /** Credits granted up front; topped up as notifications arrive. */
  creditWindow: number;
  /**
   * Notifications received before the next credit write (one write returns them all): each
   * write is a GATT write through the library, so fewer of them keep the CPU figure about
   * receiving notifications.
   */
  creditTopUp: number;
  /**
   * Operations in flight for the windowed tests, one characteristic each (at most 4: BlueZ
   * coalesces overlapping reads and refuses overlapping writes on one characteristic).
   */
  inFlight: number;
  /** Extra per-client options (backend name, acquire on/off ...). */
  options?: Record<string, unknown>;
}

export interface OpsResult {
  ops: number;
  seconds: number;
  opsPerSec: number;
  medianMs: number;
  p95Ms: number;
  /** Reads the peripheral served during the test (reads only; absent for writes). */
  served?: number;
}

export interface WwrResult {
  sent: number;
  arrived: number;
  /** Writes the client's API accepted per second. */
  sendPerSec: number;
  /** Writes that reached the peripheral per second, until the last one arrived. */
  deliveredPerSec: number;
}

export interface NotifyResult {
  received: number;
  seconds: number;
  perSec: number;
  /** Sequence numbers below the highest one seen that never arrived. */
  lost: number;
  duplicates: number;
  outOfOrder: number;
  /** Times the credit loop had to re-grant because nothing arrived for a second. */
  stalls: number;
  cpuMsPer1000: number;
  unsubscribeMs: number;
}

export interface FloodResult {
  seconds: number;
  received: number;
  lost: number;
  /** Read latencies sampled during the flood (responsiveness). */
  readMedianMs: number | null;
  readMaxMs: number | null;
  readsFailed: number;
  rssStartMiB: number;
  rssPeakMiB: number;
  /** null when unsubscribe did not return within the limit. */
  unsubscribeMs: number | null;
  /** Notifications that still arrived after unsubscribe returned. */
  afterUnsubscribe: number;
}

export interface ClientResult {
  library: string;
  version: string;
  /** Epoch ms when the advertisement surfaced in the client. */
  scanSeenAt?: number;
  connectMs?: number;
  read?: OpsResult;
  write?: OpsResult;
  wwr?: WwrResult;
  notify?: NotifyResult;
  readWindowed?: OpsResult;
  writeWindowed?: OpsResult;
  flood?: FloodResult;
  peakRssMiB: number;
  /** Anything the library reports about which path it used (blekit: pathStats). */
  notes?: Record<string, unknown>;
  errors: string[];
}

/** Line a client prints when its scan runs, so the orchestrator switches advertising on. */
export const SCANNING_MARK = '@@bench-scanning';
/** Prefix of the client's result line. */
export const RESULT_MARK = '@@bench-result ';
/** Prefix of each line the in-VM orchestrator prints for the host. */
export const RECORD_MARK = '@@bench-record ';

export function median(xs: number[]): number {
  return quantile(xs, 0.5);
}

export function quantile(xs: number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return (s[lo] as number) + ((s[hi] as number) - (s[lo] as number)) * (pos - lo);
}
