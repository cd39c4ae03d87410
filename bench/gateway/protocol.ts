// What the gateway bench's VM side (lab.ts) records and its host side (run.ts) reads: one JSON
// record per line, in the lab's job share and on stdout behind RECORD_MARK.

/** A measured process over one window: CPU in ms, memory in MiB. */
export interface Usage {
  wallMs: number;
  userMs: number;
  systemMs: number;
  /** RSS at the end of the window, and the highest of the samples taken every 50 ms in it. */
  rssMiB: number;
  peakRssMiB: number;
  /** The process's lifetime peak (getrusage), for comparison with the sampled one. */
  maxRssMiB: number;
}

/** What one advertiser sent in a burst. */
export interface SentBurst {
  controller: string;
  burst: number;
  sent: number;
  startAt: number;
  endAt: number;
  error?: string;
}

/** One burst against one path: 'central' (bare scanStream) or 'gateway' (through MQTT). */
export interface AdvRun {
  kind: 'adv';
  path: 'central' | 'gateway';
  round: number;
  sent: SentBurst[];
  /** Distinct counters that reached the counting end, per burst id. */
  received: Record<string, number>;
  firstAt: number;
  lastAt: number;
  /** Idle RSS of the measured process before the burst, and its usage during it. */
  idleRssMiB: number;
  usage: Usage;
  /** For the gateway: reports it took in and messages it published in the window. */
  advertisements?: number;
  published?: number;
  errors: string[];
}

/**
 * Sequential reads of one characteristic, direct or through the gateway's MQTT commands; and
 * 'mqtt': the same request/response to the gateway for a command that needs no radio.
 */
export interface ReadRun {
  kind: 'read';
  path: 'central' | 'gateway' | 'mqtt';
  connectMs: number;
  latencies: number[];
  errors: string[];
}

export type GatewayBenchRecord =
  | AdvRun
  | ReadRun
  | { kind: 'environment'; [k: string]: unknown }
  | { kind: 'failed'; stage: string; message: string };

/** The records' file in the lab's job share. */
export const RECORDS_FILE = 'gateway-bench-records.jsonl';
