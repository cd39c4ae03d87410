import { AttError, NotConnectedError, TimeoutError } from '../core/index.js';
import type { BackendConnection, CentralBackend } from '../central/backend.js';
import type { DisconnectReason } from '../central/types.js';
import {
  BgapiResult,
  ConnectionStatusFlag,
  GapAddressType,
  NO_BOND,
  encodeEvent,
  encodeResponse,
  type AnsweredCommandName,
  type EventName,
  type EventParams,
  type ResponseParams,
} from '../backends/bgapi/codec/index.js';
import type { Attribute } from './att-table.js';

/** What system_get_info and system_boot report: BLED112 firmware 1.3.2, protocol 1. */
export const EMULATED_VERSION = {
  major: 1,
  minor: 3,
  patch: 2,
  build: 122,
  llVersion: 3,
  protocolVersion: 1,
  hw: 1,
} as const;
export const MAX_CONNECTIONS = 3;

export interface DongleEmulatorOptions {
  /** The central that carries the work out (the D-Bus backend in the lab). */
  backend: CentralBackend;
  adapter?: string | number;
  /** Writes bytes to the host (the pty). */
  send: (bytes: Buffer) => void;
  trace?: (line: string) => void;
}

/** One connection handle of the dongle and the central's connection behind it. */
export interface Link {
  handle: number;
  address: string;
  addressType: 'public' | 'random';
  conn?: BackendConnection;
  table?: Map<number, Attribute>;
  /** ATT procedure in progress: the dongle takes one at a time per connection. */
  busy: boolean;
  cccd: Map<number, number>;
  prepared: { handle: number; offset: number; data: Buffer }[];
  params: { interval: number; timeout: number; latency: number };
  localDisconnect: boolean;
  encrypted: boolean;
}

/** The BGAPI result code for a failure of the central's call, `fallback` if it has none. */
export function errorResult(err: unknown, fallback: number): number {
  if (err instanceof AttError) return 0x0400 | err.attCode;
  if (err instanceof NotConnectedError) return BgapiResult.notConnected;
  if (err instanceof TimeoutError) return BgapiResult.timeout;
  return fallback;
}

function disconnectReason(r: DisconnectReason): number {
  if (r === 'local') return BgapiResult.localHostTerminated;
  if (r === 'remote') return BgapiResult.remoteUserTerminated;
  return BgapiResult.connectionTimeout;
}

/**
 * What every command handler works on: the dongle's state (links, bonds, scan, local
 * database) and the two ways it speaks to the host, responses and events.
 */
export class DongleState {
  address = '00:00:00:00:00:00';
  scanning = false;
  scanParams = { active: false };
  connecting: { controller: AbortController; address: string } | undefined;
  readonly links = new Map<number, Link>();
  /** Bond handles are indexes; a removed bond leaves '' so later handles keep their number. */
  readonly bonds: string[] = [];
  bondable = false;
  readonly lastRssi = new Map<string, number>();
  readonly localDb = new Map<number, Buffer>();
  readonly whitelist = new Set<string>();
  closed = false;

  constructor(readonly o: DongleEmulatorOptions) {}

  get backend(): CentralBackend {
    return this.o.backend;
  }

  trace(line: string): void {
    this.o.trace?.(line);
  }

  respond<N extends AnsweredCommandName>(name: N, params: ResponseParams<N>): void {
    this.trace(`<- ${name} ${JSON.stringify(params)}`);
    if (!this.closed) this.o.send(encodeResponse(name, params));
  }

  event<N extends EventName>(name: N, params: EventParams<N>): void {
    if (name !== 'attclient_attribute_value') this.trace(`<- event ${name}`);
    if (!this.closed) this.o.send(encodeEvent(name, params));
  }

  /** Ends the scan, the connection attempt and every link, as a reset does. */
  async teardown(): Promise<void> {
    this.connecting?.controller.abort();
    this.connecting = undefined;
    if (this.scanning) {
      this.scanning = false;
      await this.backend.stopScan().catch(() => undefined);
    }
    for (const l of [...this.links.values()]) {
      l.localDisconnect = true;
      this.links.delete(l.handle);
      await l.conn?.disconnect().catch(() => undefined);
    }
  }

  status(l: Link, extra: number): void {
    const bond = this.bonds.indexOf(l.address);
    this.event('connection_status', {
      connection: l.handle,
      flags:
        ConnectionStatusFlag.connected | (l.encrypted ? ConnectionStatusFlag.encrypted : 0) | extra,
      address: l.address,
      addressType: GapAddressType[l.addressType],
      connInterval: l.params.interval,
      timeout: l.params.timeout,
      latency: l.params.latency,
      bonding: bond >= 0 ? bond : NO_BOND,
    });
  }

  dropLink(l: Link, reason: DisconnectReason): void {
    if (this.links.get(l.handle) === l) this.links.delete(l.handle);
    if (!l.conn) return;
    l.conn = undefined;
    this.event('connection_disconnected', {
      connection: l.handle,
      reason: disconnectReason(l.localDisconnect ? 'local' : reason),
    });
  }

  /** The live link behind `connection`, or undefined after answering "not connected". */
  linkFor(name: AnsweredCommandName, connection: number): Link | undefined {
    const l = this.links.get(connection);
    if (!l?.conn) {
      this.respond(name as 'attclient_read_by_handle', {
        connection,
        result: BgapiResult.notConnected,
      });
      return undefined;
    }
    return l;
  }
}
