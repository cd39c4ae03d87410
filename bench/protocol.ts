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
  | 'scan'
  | 'read'
  | 'write'
  | 'wwr'
  | 'notify'
  | 'readWindowed'
  | 'writeWindowed'
  | 'flood'
  | 'advRate';

/**
 * The advertisement burst (test 'advRate'). btvirt sends one advertising report per advertising
 * enable and bluetoothd signals ManufacturerData only when it changed, so every advertisement
 * carries the next counter under this company id: tag (2 bytes), burst id (u16 LE), counter
 * (u32 LE). A client counts the distinct counters it surfaced.
 */
export const ADV_COMPANY = 0xffff;
const ADV_TAG = [0xb1, 0xe0] as const;

export function advPayload(burst: number, counter: number): Buffer {
  const b = Buffer.alloc(8);
  b[0] = ADV_TAG[0];
  b[1] = ADV_TAG[1];
  b.writeUInt16LE(burst, 2);
  b.writeUInt32LE(counter >>> 0, 4);
  return b;
}

/** The burst id and counter in a burst advertisement's manufacturer data, if it is one. */
export function advBurstOf(data: Uint8Array): { burst: number; counter: number } | undefined {
  if (data.length !== 8 || data[0] !== ADV_TAG[0] || data[1] !== ADV_TAG[1]) return undefined;
  const b = Buffer.from(data.buffer, data.byteOffset, data.length);
  return { burst: b.readUInt16LE(2), counter: b.readUInt32LE(4) };
}

/** The counter in a burst advertisement's manufacturer data, or undefined if it is not one. */
export function advCounter(data: Uint8Array, burst: number): number | undefined {
  const a = advBurstOf(data);
  return a?.burst === burst ? a.counter : undefined;
}

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
  /** The advertisement burst this run gets ('advRate'): its id and how many it sends. */
  advBurst: { id: number; count: number };
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

/** What a client surfaced of the advertisement burst (times are Date.now() in the VM). */
export interface AdvRateResult {
  /** Distinct counters surfaced. */
  distinct: number;
  /** Callbacks that carried a burst counter (duplicates included). */
  reports: number;
  /** When the first and the last new counter surfaced (0 if none). */
  firstAt: number;
  lastAt: number;
  /** The client process's CPU time from its scan running to its count being final. */
  cpuMs: number;
}

/** What the harness sent (recorded with the run). */
export interface AdvBurstRecord {
  id: number;
  sent: number;
  startAt: number;
  endAt: number;
  /** The advertiser's own rate: sent / (endAt - startAt). */
  sentPerSec: number;
  /** Why the burst did not run or did not finish. */
  error?: string;
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
  advRate?: AdvRateResult;
  peakRssMiB: number;
  /** Anything the library reports about which path it used (blekit: pathStats). */
  notes?: Record<string, unknown>;
  errors: string[];
}

/** Line a client prints when its scan runs, so the orchestrator switches advertising on. */
export const SCANNING_MARK = '@@bench-scanning';
/**
 * Line a client prints when its scan for the burst runs; the harness then sends the burst and
 * writes BURST_DONE_MARK to the client's stdin.
 */
export const ADV_RATE_MARK = '@@bench-adv-rate-scanning';
export const BURST_DONE_MARK = '@@bench-burst-done';
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
