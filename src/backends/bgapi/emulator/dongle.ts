import {
  AttError,
  NotConnectedError,
  TimeoutError,
  encodeAdvertisingData,
  normalizeAddress,
  rssiToHci,
  splitAdStructures,
} from '../../../core/index.js';
import type { BackendConnection, CentralBackend } from '../../../central/backend.js';
import type { DisconnectReason, ScanResult } from '../../../central/types.js';
import {
  AttributeValueType,
  BgapiResult,
  BgapiStreamParser,
  ConnectionStatusFlag,
  GapAddressType,
  NO_BOND,
  ScanPacketType,
  encodeEvent,
  encodeResponse,
  type AnsweredCommandName,
  type BgapiCommand,
  type EventName,
  type EventParams,
  type ResponseParams,
} from '../codec/index.js';
import { BGAPI_MTU } from '../connection.js';
import { GattUuid16 } from '../../../protocol/index.js';
import { attributeTable, inRange, type Attribute } from './attributes.js';

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
const MAX_CONNECTIONS = 3;
/** A dongle needs a moment to boot; the host must not see system_boot on the reset's heels. */
const BOOT_DELAY_MS = 100;
const CONNECT_ATTEMPT_MS = 30_000;

export interface DongleEmulatorOptions {
  /** The central that carries the work out (the D-Bus backend in the lab). */
  backend: CentralBackend;
  adapter?: string | number;
  /** Writes bytes to the host (the pty). */
  send: (bytes: Buffer) => void;
  trace?: (line: string) => void;
}

interface Link {
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

function errorResult(err: unknown, fallback: number): number {
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
 * A BLED112 as its host sees it, with the radio work done by a CentralBackend: commands in,
 * responses and events out, with the dongle's rules (one command at a time, system_boot
 * after a reset, one GAP procedure and one ATT procedure per connection at a time, ATT MTU
 * 23, long values in MTU-sized parts). Feed host bytes to receive().
 */
export class DongleEmulator {
  private readonly parser = new BgapiStreamParser('toDevice');
  private chain: Promise<void> = Promise.resolve();
  private address = '00:00:00:00:00:00';
  private started = false;
  private scanning = false;
  private scanParams = { active: false };
  private connecting: { controller: AbortController; address: string } | undefined;
  private readonly links = new Map<number, Link>();
  private readonly bonds: string[] = [];
  private bondable = false;
  private readonly lastRssi = new Map<string, number>();
  private readonly localDb = new Map<number, Buffer>();
  private readonly whitelist = new Set<string>();
  private closed = false;

  constructor(private readonly o: DongleEmulatorOptions) {}

  async start(): Promise<string> {
    const info = await this.o.backend.start({ adapter: this.o.adapter, powerOn: true });
    this.address = info.address;
    this.started = true;
    return info.address;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.teardown();
    await this.o.backend.stop();
  }

  /** Bytes from the host. Commands are carried out one after another, in order. */
  receive(bytes: Buffer): void {
    for (const f of this.parser.push(bytes)) {
      if (f.kind !== 'command') {
        this.o.trace?.(`?? ignored ${f.kind} frame from host`);
        continue;
      }
      this.chain = this.chain.then(() =>
        this.command(f).catch((err: unknown) => this.o.trace?.(`!! ${f.name}: ${String(err)}`)),
      );
    }
  }

  private respond<N extends AnsweredCommandName>(name: N, params: ResponseParams<N>): void {
    this.o.trace?.(`<- ${name} ${JSON.stringify(params)}`);
    if (!this.closed) this.o.send(encodeResponse(name, params));
  }

  private event<N extends EventName>(name: N, params: EventParams<N>): void {
    if (name !== 'attclient_attribute_value') this.o.trace?.(`<- event ${name}`);
    if (!this.closed) this.o.send(encodeEvent(name, params));
  }

  private async teardown(): Promise<void> {
    this.connecting?.controller.abort();
    this.connecting = undefined;
    if (this.scanning) {
      this.scanning = false;
      await this.o.backend.stopScan().catch(() => undefined);
    }
    for (const l of [...this.links.values()]) {
      l.localDisconnect = true;
      this.links.delete(l.handle);
      await l.conn?.disconnect().catch(() => undefined);
    }
  }

  private async command(c: BgapiCommand): Promise<void> {
    this.o.trace?.(`-> ${c.name}`);
    switch (c.name) {
      case 'system_reset':
        await this.teardown();
        setTimeout(() => this.event('system_boot', { ...EMULATED_VERSION }), BOOT_DELAY_MS);
        return;
      case 'system_hello':
        return this.respond(c.name, {});
      case 'system_address_get':
        return this.respond(c.name, { address: this.address });
      case 'system_get_counters':
        return this.respond(c.name, { txok: 0, txretry: 0, rxok: 0, rxfail: 0, mbuf: 0 });
      case 'system_get_connections':
        this.respond(c.name, { maxconn: MAX_CONNECTIONS });
        for (const l of this.links.values()) if (l.conn) this.status(l, 0);
        return;
      case 'system_get_info':
        return this.respond(c.name, { ...EMULATED_VERSION });
      case 'system_whitelist_append':
        this.whitelist.add(c.params.address);
        return this.respond(c.name, { result: 0 });
      case 'system_whitelist_remove':
        this.whitelist.delete(c.params.address);
        return this.respond(c.name, { result: 0 });
      case 'system_whitelist_clear':
        this.whitelist.clear();
        return this.respond(c.name, {});

      case 'attributes_write': {
        const old = this.localDb.get(c.params.handle) ?? Buffer.alloc(0);
        const v = Buffer.concat([old.subarray(0, c.params.offset), c.params.value]);
        this.localDb.set(c.params.handle, v);
        return this.respond(c.name, { result: 0 });
      }
      case 'attributes_read': {
        const v = this.localDb.get(c.params.handle);
        return this.respond(c.name, {
          handle: c.params.handle,
          offset: c.params.offset,
          result: v ? 0 : BgapiResult.attInvalidHandle,
          value: (v ?? Buffer.alloc(0)).subarray(c.params.offset, c.params.offset + 32),
        });
      }
      case 'attributes_read_type':
        return this.respond(c.name, {
          handle: c.params.handle,
          result: BgapiResult.attInvalidHandle,
          value: Buffer.alloc(0),
        });
      case 'attributes_user_read_response':
      case 'attributes_user_write_response':
        return this.respond(c.name, {});

      case 'connection_disconnect': {
        const l = this.linkFor(c.name, c.params.connection);
        if (!l) return;
        this.respond(c.name, { connection: l.handle, result: 0 });
        l.localDisconnect = true;
        await l.conn?.disconnect().catch(() => undefined);
        this.dropLink(l, 'local');
        return;
      }
      case 'connection_get_rssi': {
        const l = this.links.get(c.params.connection);
        let rssi = l ? this.lastRssi.get(l.address) : undefined;
        if (l?.conn && this.o.backend.capabilities.connectionRssi) {
          rssi = await l.conn.rssi().catch(() => rssi);
        }
        return this.respond(c.name, {
          connection: c.params.connection,
          rssi: rssiToHci(rssi),
        });
      }
      case 'connection_update': {
        const l = this.linkFor(c.name, c.params.connection);
        if (!l) return;
        this.respond(c.name, { connection: l.handle, result: 0 });
        l.params = {
          interval: c.params.intervalMax,
          timeout: c.params.timeout,
          latency: c.params.latency,
        };
        this.status(l, ConnectionStatusFlag.parametersChange);
        return;
      }
      case 'connection_channel_map_get':
        return this.respond(c.name, {
          connection: c.params.connection,
          map: Buffer.from([0xff, 0xff, 0xff, 0xff, 0x1f]),
        });
      case 'connection_get_status': {
        this.respond(c.name, { connection: c.params.connection });
        const l = this.links.get(c.params.connection);
        if (l?.conn) this.status(l, 0);
        return;
      }
      case 'connection_version_update':
      case 'connection_channel_map_set':
      case 'connection_features_get':
        return this.respond(c.name, {
          connection: c.params.connection,
          result: BgapiResult.notImplemented,
        });
      case 'connection_raw_tx':
        return this.respond(c.name, { connection: c.params.connection });

      case 'attclient_indicate_confirm':
        // BlueZ confirmed the indication when it arrived.
        return this.respond(c.name, { result: 0 });
      case 'attclient_write_command': {
        const l = this.linkFor(c.name, c.params.connection);
        if (!l) return;
        const a = l.table?.get(c.params.atthandle);
        if (c.params.data.length > BGAPI_MTU - 3 || !a || a.kind !== 'value') {
          return this.respond(c.name, {
            connection: l.handle,
            result: !a ? BgapiResult.attInvalidHandle : BgapiResult.invalidParameter,
          });
        }
        this.respond(c.name, { connection: l.handle, result: 0 });
        await l.conn
          ?.write(a.char, c.params.data, false)
          .catch((err: unknown) => this.o.trace?.(`!! write command: ${String(err)}`));
        return;
      }
      case 'attclient_find_by_type_value':
      case 'attclient_read_by_group_type':
      case 'attclient_read_by_type':
      case 'attclient_find_information':
      case 'attclient_read_by_handle':
      case 'attclient_attribute_write':
      case 'attclient_read_long':
      case 'attclient_prepare_write':
      case 'attclient_execute_write':
      case 'attclient_read_multiple':
        return this.attProcedure(c);

      case 'sm_encrypt_start': {
        const l = this.links.get(c.params.handle);
        if (!l?.conn)
          return this.respond(c.name, {
            handle: c.params.handle,
            result: BgapiResult.notConnected,
          });
        this.respond(c.name, { handle: l.handle, result: 0 });
        const bond = c.params.bonding === 1 && this.bondable;
        void this.encrypt(l, bond);
        return;
      }
      case 'sm_set_bondable_mode':
        this.bondable = c.params.bondable === 1;
        return this.respond(c.name, {});
      case 'sm_delete_bonding': {
        const h = c.params.handle;
        const targets =
          h === 0xff ? this.bonds.filter(Boolean) : this.bonds[h] ? [this.bonds[h]] : [];
        if (targets.length === 0 && h !== 0xff)
          return this.respond(c.name, { result: BgapiResult.invalidParameter });
        for (const a of targets) await this.o.backend.removeBond(a).catch(() => undefined);
        if (h === 0xff) this.bonds.length = 0;
        else this.bonds[h] = '';
        return this.respond(c.name, { result: 0 });
      }
      case 'sm_set_parameters':
        return this.respond(c.name, {});
      case 'sm_passkey_entry':
        return this.respond(c.name, { result: BgapiResult.notImplemented });
      case 'sm_get_bonds': {
        const live = this.bonds.map((a, i) => [a, i] as const).filter(([a]) => a !== '');
        this.respond(c.name, { bonds: live.length });
        for (const [, i] of live)
          this.event('sm_bond_status', { bond: i, keysize: 16, mitm: 0, keys: 0x07 });
        return;
      }
      case 'sm_set_oob_data':
        return this.respond(c.name, {});

      case 'gap_set_privacy_flags':
        return this.respond(c.name, {});
      case 'gap_set_mode':
        // The emulator is a central: it cannot advertise, but "off" is what a central asks for.
        return this.respond(c.name, {
          result:
            c.params.discover === 0 && c.params.connect === 0 ? 0 : BgapiResult.notImplemented,
        });
      case 'gap_set_scan_parameters':
        if (this.scanning || this.connecting)
          return this.respond(c.name, { result: BgapiResult.wrongState });
        if (
          c.params.scanWindow > c.params.scanInterval ||
          c.params.scanInterval < 4 ||
          c.params.scanInterval > 0x4000
        ) {
          return this.respond(c.name, { result: BgapiResult.invalidParameter });
        }
        this.scanParams = { active: c.params.active === 1 };
        return this.respond(c.name, { result: 0 });
      case 'gap_set_filtering':
        return this.respond(c.name, { result: 0 });
      case 'gap_discover':
        return this.discover(c.params.mode);
      case 'gap_connect_direct':
        return this.connectDirect(c.params);
      case 'gap_end_procedure': {
        if (this.connecting) {
          this.connecting.controller.abort();
          this.connecting = undefined;
          return this.respond(c.name, { result: 0 });
        }
        if (!this.scanning) return this.respond(c.name, { result: BgapiResult.wrongState });
        this.scanning = false;
        await this.o.backend.stopScan().catch(() => undefined);
        return this.respond(c.name, { result: 0 });
      }
      case 'gap_connect_selective':
        return this.respond(c.name, { result: BgapiResult.notImplemented, connectionHandle: 0 });
      case 'gap_set_adv_parameters':
      case 'gap_set_adv_data':
      case 'gap_set_directed_connectable_mode':
        return this.respond(c.name, { result: BgapiResult.notImplemented });
    }
  }

  private status(l: Link, extra: number): void {
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

  private dropLink(l: Link, reason: DisconnectReason): void {
    if (this.links.get(l.handle) === l) this.links.delete(l.handle);
    if (!l.conn) return;
    l.conn = undefined;
    this.event('connection_disconnected', {
      connection: l.handle,
      reason: disconnectReason(l.localDisconnect ? 'local' : reason),
    });
  }

  private async discover(mode: number): Promise<void> {
    if (mode > 2) return this.respond('gap_discover', { result: BgapiResult.invalidParameter });
    if (this.scanning || this.connecting)
      return this.respond('gap_discover', { result: BgapiResult.wrongState });
    this.scanning = true;
    try {
      // A stack that only scans actively (BlueZ over D-Bus) still serves a passive host: the
      // scan response packets are simply not passed on.
      const active = this.scanParams.active || !this.o.backend.capabilities.passiveScan;
      await this.o.backend.startScan({ active }, (r) => this.report(r));
    } catch (err) {
      this.scanning = false;
      return this.respond('gap_discover', { result: errorResult(err, BgapiResult.wrongState) });
    }
    this.respond('gap_discover', { result: 0 });
  }

  /** One scan result as the advertisement (up to 31 bytes) and scan response packets. */
  private report(r: ScanResult): void {
    if (!this.scanning) return;
    if (r.rssi !== undefined) this.lastRssi.set(r.address, r.rssi);
    let data: Buffer;
    try {
      data = encodeAdvertisingData(r.advertisement);
    } catch {
      return;
    }
    // What fits goes in the advertisement (31 bytes), the rest in one scan response. BlueZ
    // merges what it heard, so the rest can exceed 31 bytes; BGAPI's field allows 255, and a
    // structure that does not fit is left out whole (a cut one would spoil the packet).
    // An active scan of a connectable (scannable) advertiser always gets a scan response,
    // empty when there is nothing for it: the host must not keep an older one's fields.
    const packets: Buffer[][] = [[], []];
    const room = [31, 255];
    for (const s of splitAdStructures(data)) {
      const bytes = Buffer.concat([Buffer.from([s.data.length + 1, s.type]), s.data]);
      const i = room.findIndex((left) => bytes.length <= left);
      if (i < 0) continue;
      (packets[i] as Buffer[]).push(bytes);
      (room[i] as number) -= bytes.length;
    }
    const bond = this.bonds.indexOf(r.address);
    packets.forEach((p, i) => {
      if (i > 0 && !this.scanParams.active) return;
      this.event('gap_scan_response', {
        rssi: rssiToHci(r.rssi),
        packetType: i === 0 ? ScanPacketType.connectable : ScanPacketType.scanResponse,
        sender: r.address,
        addressType: GapAddressType[r.addressType],
        bond: bond >= 0 ? bond : NO_BOND,
        data: Buffer.concat(p),
      });
    });
  }

  private async connectDirect(p: {
    address: string;
    addrType: number;
    connIntervalMax: number;
    timeout: number;
    latency: number;
  }): Promise<void> {
    if (this.scanning || this.connecting) {
      return this.respond('gap_connect_direct', {
        result: BgapiResult.wrongState,
        connectionHandle: 0,
      });
    }
    let handle = 0;
    while (this.links.has(handle)) handle++;
    if (handle >= MAX_CONNECTIONS) {
      return this.respond('gap_connect_direct', {
        result: BgapiResult.connectionLimitExceeded,
        connectionHandle: 0,
      });
    }
    const address = normalizeAddress(p.address);
    const controller = new AbortController();
    this.connecting = { controller, address };
    const l: Link = {
      handle,
      address,
      addressType: p.addrType === GapAddressType.random ? 'random' : 'public',
      busy: false,
      cccd: new Map(),
      prepared: [],
      params: { interval: p.connIntervalMax, timeout: p.timeout, latency: p.latency },
      localDisconnect: false,
      encrypted: false,
    };
    this.links.set(handle, l);
    this.respond('gap_connect_direct', { result: 0, connectionHandle: handle });
    // Like the dongle, keep trying until connected or told to stop (gap_end_procedure).
    void (async () => {
      while (!controller.signal.aborted) {
        try {
          l.conn = await this.o.backend.connect(
            address,
            {
              addressType: l.addressType,
              timeoutMs: CONNECT_ATTEMPT_MS,
              signal: controller.signal,
              retries: 1,
            },
            {
              onDisconnect: (reason) => this.dropLink(l, reason),
              onServicesChanged: () => (l.table = undefined),
            },
          );
          break;
        } catch (err) {
          this.o.trace?.(`!! connect ${address}: ${String(err)}`);
          await new Promise((r) => setTimeout(r, 500));
        }
      }
      if (this.connecting?.controller === controller) this.connecting = undefined;
      if (!l.conn || controller.signal.aborted) {
        if (l.conn) await l.conn.disconnect().catch(() => undefined);
        if (this.links.get(handle) === l) this.links.delete(handle);
        return;
      }
      this.status(l, ConnectionStatusFlag.completed);
    })();
  }

  private async encrypt(l: Link, bond: boolean): Promise<void> {
    try {
      await l.conn?.pair('medium');
      l.encrypted = true;
      if (bond && !this.bonds.includes(l.address)) {
        const free = this.bonds.indexOf('');
        if (free >= 0) this.bonds[free] = l.address;
        else this.bonds.push(l.address);
      }
      this.status(l, 0);
    } catch (err) {
      this.event('sm_bonding_fail', {
        handle: l.handle,
        result: errorResult(err, BgapiResult.smpUnspecified),
      });
    }
  }

  /** The live link behind `connection`, or undefined after answering "not connected". */
  private linkFor(name: AnsweredCommandName, connection: number): Link | undefined {
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

  private async table(l: Link): Promise<Map<number, Attribute>> {
    if (!l.table) l.table = attributeTable(await (l.conn as BackendConnection).discover(false));
    return l.table;
  }

  private completed(l: Link, result: number, chrhandle: number): void {
    this.event('attclient_procedure_completed', { connection: l.handle, result, chrhandle });
  }

  /** Accepts an ATT procedure (response), then carries it out and reports its events. */
  private async attProcedure(
    c: Extract<BgapiCommand, { name: `attclient_${string}` }>,
  ): Promise<void> {
    const name = c.name as 'attclient_read_by_handle';
    const l = this.linkFor(name, c.params.connection);
    if (!l) return;
    if (l.busy) return this.respond(name, { connection: l.handle, result: BgapiResult.wrongState });
    if (
      (c.name === 'attclient_attribute_write' && c.params.data.length > BGAPI_MTU - 3) ||
      (c.name === 'attclient_prepare_write' && c.params.data.length > BGAPI_MTU - 5)
    ) {
      return this.respond(name, { connection: l.handle, result: BgapiResult.invalidParameter });
    }
    l.busy = true;
    this.respond(name, { connection: l.handle, result: 0 });
    // Run the procedure off the command chain: the host may send other commands meanwhile.
    void this.runProcedure(l, c)
      .catch((err: unknown) => this.completed(l, errorResult(err, 0x040e), 0))
      .finally(() => (l.busy = false));
  }

  private async runProcedure(l: Link, c: BgapiCommand): Promise<void> {
    const t = await this.table(l);
    const conn = l.conn as BackendConnection;
    const value = (e: number, type: number, v: Buffer) =>
      this.event('attclient_attribute_value', {
        connection: l.handle,
        atthandle: e,
        type,
        value: v,
      });
    const notFound = (h: number) => this.completed(l, BgapiResult.attNotFound, h);
    switch (c.name) {
      case 'attclient_read_by_group_type': {
        const type = c.params.uuid.length === 2 ? c.params.uuid.readUInt16LE(0) : -1;
        if (type !== GattUuid16.PrimaryService && type !== GattUuid16.SecondaryService) {
          return this.completed(l, BgapiResult.attUnsupportedGroupType, c.params.start);
        }
        return this.groupsFound(l, t, c.params.start, c.params.end, type);
      }
      case 'attclient_find_by_type_value': {
        const { start, end, uuid, value } = c.params;
        return this.groupsFound(l, t, start, end, uuid, value);
      }
      case 'attclient_read_by_type': {
        const found = inRange(t, c.params.start, c.params.end).filter((a) =>
          a.type.equals(c.params.uuid),
        );
        for (const a of found) {
          const v = await this.readAttribute(l, a, conn);
          value(a.handle, AttributeValueType.readByType, v.subarray(0, BGAPI_MTU - 4));
        }
        return found.length ? this.completed(l, 0, c.params.end) : notFound(c.params.start);
      }
      case 'attclient_find_information': {
        const found = inRange(t, c.params.start, c.params.end);
        for (const a of found) {
          this.event('attclient_find_information_found', {
            connection: l.handle,
            chrhandle: a.handle,
            uuid: a.type,
          });
        }
        return found.length ? this.completed(l, 0, c.params.end) : notFound(c.params.start);
      }
      case 'attclient_read_by_handle': {
        const a = t.get(c.params.chrhandle);
        if (!a) return this.completed(l, BgapiResult.attInvalidHandle, c.params.chrhandle);
        const v = await this.readAttribute(l, a, conn);
        // Success is the value alone; only failures end with procedure_completed.
        return value(a.handle, AttributeValueType.read, v.subarray(0, BGAPI_MTU - 1));
      }
      case 'attclient_read_long': {
        const a = t.get(c.params.chrhandle);
        if (!a) return this.completed(l, BgapiResult.attInvalidHandle, c.params.chrhandle);
        const v = await this.readAttribute(l, a, conn);
        const part = BGAPI_MTU - 1;
        for (let off = 0; off === 0 || off < v.length; off += part) {
          value(
            a.handle,
            off === 0 ? AttributeValueType.read : AttributeValueType.readBlob,
            v.subarray(off, off + part),
          );
        }
        return this.completed(l, 0, a.handle);
      }
      case 'attclient_attribute_write': {
        const a = t.get(c.params.atthandle);
        if (!a) return this.completed(l, BgapiResult.attInvalidHandle, c.params.atthandle);
        await this.writeAttribute(l, a, c.params.data, conn);
        return this.completed(l, 0, a.handle);
      }
      case 'attclient_prepare_write': {
        if (!t.has(c.params.atthandle))
          return this.completed(l, BgapiResult.attInvalidHandle, c.params.atthandle);
        l.prepared.push({
          handle: c.params.atthandle,
          offset: c.params.offset,
          data: c.params.data,
        });
        return this.completed(l, 0, c.params.atthandle);
      }
      case 'attclient_execute_write': {
        const queue = l.prepared;
        l.prepared = [];
        if (c.params.commit === 0 || queue.length === 0) return this.completed(l, 0, 0);
        const byHandle = new Map<number, Buffer>();
        for (const p of queue) {
          const cur = byHandle.get(p.handle) ?? Buffer.alloc(0);
          if (p.offset > cur.length)
            return this.completed(l, BgapiResult.attInvalidOffset, p.handle);
          byHandle.set(p.handle, Buffer.concat([cur.subarray(0, p.offset), p.data]));
        }
        for (const [h, v] of byHandle) {
          await this.writeAttribute(l, t.get(h) as Attribute, v, conn);
        }
        return this.completed(l, 0, queue[0]?.handle ?? 0);
      }
      case 'attclient_read_multiple': {
        const parts: Buffer[] = [];
        for (let i = 0; i + 1 < c.params.handles.length; i += 2) {
          const a = t.get(c.params.handles.readUInt16LE(i));
          if (!a)
            return this.completed(
              l,
              BgapiResult.attInvalidHandle,
              c.params.handles.readUInt16LE(i),
            );
          parts.push(await this.readAttribute(l, a, conn));
        }
        this.event('attclient_read_multiple_response', {
          connection: l.handle,
          handles: Buffer.concat(parts).subarray(0, BGAPI_MTU - 1),
        });
        return;
      }
      default:
        return;
    }
  }

  /** Service groups of `type` in range (with `value`, when given, as their UUID). */
  private groupsFound(
    l: Link,
    t: Map<number, Attribute>,
    start: number,
    end: number,
    type: number,
    value?: Buffer,
  ): void {
    let n = 0;
    for (const a of inRange(t, start, end)) {
      if (a.kind !== 'service' || a.type.readUInt16LE(0) !== type) continue;
      if (value && !a.value.equals(value)) continue;
      n++;
      this.event('attclient_group_found', {
        connection: l.handle,
        start: a.service.startHandle,
        end: a.service.endHandle,
        uuid: a.value,
      });
    }
    this.completed(l, n ? 0 : BgapiResult.attNotFound, n ? end : start);
  }

  private async readAttribute(l: Link, a: Attribute, conn: BackendConnection): Promise<Buffer> {
    switch (a.kind) {
      case 'service':
      case 'declaration':
        return a.value;
      case 'value':
        return conn.read(a.char);
      case 'descriptor': {
        if (!a.cccd) return conn.readDescriptor(a.handle);
        const v = Buffer.alloc(2);
        v.writeUInt16LE(l.cccd.get(a.handle) ?? 0);
        return v;
      }
    }
  }

  /** Writes go to the characteristic; a CCCD write becomes a subscribe or unsubscribe. */
  private async writeAttribute(
    l: Link,
    a: Attribute,
    v: Buffer,
    conn: BackendConnection,
  ): Promise<void> {
    if (a.kind === 'value') return conn.write(a.char, v, true);
    if (a.kind !== 'descriptor') throw new AttError(0x03);
    if (!a.cccd) return conn.writeDescriptor(a.handle, v);
    if (v.length !== 2) throw new AttError(0x0d);
    const bits = v.readUInt16LE(0);
    const was = l.cccd.get(a.handle) ?? 0;
    if (bits === was) return;
    const c = a.char;
    if (was !== 0) await conn.unsubscribe(c);
    if (bits !== 0) {
      const indicate = (bits & 0x02) !== 0;
      await conn.subscribe(c, { indicate, forceStartNotify: true }, (value) =>
        this.event('attclient_attribute_value', {
          connection: l.handle,
          atthandle: c.valueHandle,
          type: indicate ? AttributeValueType.indicate : AttributeValueType.notify,
          value: value.subarray(0, BGAPI_MTU - 3),
        }),
      );
    }
    l.cccd.set(a.handle, bits);
  }

  get isStarted(): boolean {
    return this.started;
  }
}
