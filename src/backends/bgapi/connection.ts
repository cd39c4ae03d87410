import {
  InvalidArgumentError,
  normalizeUuid,
  NotConnectedError,
  NotSupportedError,
  rssiOrUndefined,
  validateHandle,
  withTimeout,
  type AddressType,
} from '../../core/index.js';
import type {
  BackendConnection,
  BackendSubscribeOptions,
  ConnectionEvents,
} from '../../central/backend.js';
import type {
  CharacteristicInfo,
  DisconnectReason,
  SecurityLevel,
  ServiceInfo,
} from '../../central/types.js';
import {
  AttributeValueType,
  BgapiResult,
  ConnectionStatusFlag,
  type BgapiEvent,
} from './codec/index.js';
import { checkResult, resultError } from './errors.js';
import {
  ATT_DEFAULT_MTU,
  GattUuid16,
  MAX_ATTRIBUTE_LENGTH,
  uuid16Bytes,
} from '../../protocol/index.js';
import {
  assembleDatabase,
  type FoundDeclaration,
  type FoundGroup,
} from '../../central/att-discovery.js';
import type { BgapiLink } from './link.js';

/** BLED112 firmware uses the default ATT MTU and cannot exchange a larger one. */
export const BGAPI_MTU = ATT_DEFAULT_MTU;
const PROCEDURE_MS = 30_000;
const LONG_VALUE_MS = 60_000;

/** What the backend shares with its connections (bond bookkeeping, bondable mode). */
export interface ConnectionHost {
  readonly link: BgapiLink;
  setBondable(on: boolean): Promise<void>;
  rememberBond(address: string, bond: number): void;
}

type EventStep = 'done' | 'more';

/** One link to a peer through the dongle; ATT procedures on it run one at a time. */
export class BgapiConnection implements BackendConnection {
  private isConnected = true;
  private lock: Promise<unknown> = Promise.resolve();
  private readonly listeners = new Map<number, (v: Buffer) => void>();
  private db: ServiceInfo[] | undefined;
  private readonly onEvent = (e: BgapiEvent): void => this.handleEvent(e);
  private readonly onLinkClose = (): void => this.gone('adapter');

  constructor(
    private readonly host: ConnectionHost,
    /** The dongle's connection handle. */
    readonly handle: number,
    readonly address: string,
    readonly addressType: AddressType,
    private readonly events: ConnectionEvents,
  ) {
    host.link.on('event', this.onEvent);
    host.link.once('close', this.onLinkClose);
  }

  get connected(): boolean {
    return this.isConnected;
  }

  private get link(): BgapiLink {
    return this.host.link;
  }

  /** The link is gone: tell the owner once and stop listening. */
  gone(reason: DisconnectReason): void {
    if (!this.isConnected) return;
    this.isConnected = false;
    this.link.off('event', this.onEvent);
    this.link.off('close', this.onLinkClose);
    this.events.onDisconnect(reason);
  }

  private handleEvent(e: BgapiEvent): void {
    if (e.name === 'connection_disconnected' && e.params.connection === this.handle) {
      this.gone(e.params.reason === BgapiResult.localHostTerminated ? 'local' : 'remote');
    } else if (e.name === 'attclient_attribute_value' && e.params.connection === this.handle) {
      const t = e.params.type;
      if (
        t === AttributeValueType.notify ||
        t === AttributeValueType.indicate ||
        t === AttributeValueType.indicateRspReq
      ) {
        if (t === AttributeValueType.indicateRspReq) {
          this.link
            .command('attclient_indicate_confirm', { connection: this.handle })
            .catch(() => undefined);
        }
        this.listeners.get(e.params.atthandle)?.(e.params.value);
      }
    }
  }

  private check(): void {
    if (!this.isConnected) throw new NotConnectedError(`${this.address} is not connected`);
  }

  /** Runs fn with this connection's ATT procedure lock held (the dongle allows one at a time). */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.lock.then(fn, fn);
    this.lock = p.catch(() => undefined);
    return p;
  }

  /**
   * Sends an attclient command and feeds this connection's events to `step` until it says
   * 'done'; a procedure_completed with an error, a disconnect or the time limit fail it.
   */
  private procedure(
    what: string,
    send: () => Promise<{ result: number }>,
    step: (e: BgapiEvent) => EventStep | undefined,
    ms = PROCEDURE_MS,
  ): Promise<void> {
    return this.exclusive(async () => {
      this.check();
      let finish!: () => void;
      let fail!: (e: Error) => void;
      const done = new Promise<void>((res, rej) => ((finish = res), (fail = rej)));
      const listener = (e: BgapiEvent): void => {
        if (!('connection' in e.params) || e.params.connection !== this.handle) return;
        if (e.name === 'connection_disconnected') {
          fail(new NotConnectedError(`${this.address} disconnected during ${what}`));
          return;
        }
        try {
          if (step(e) === 'done') finish();
        } catch (err) {
          fail(err as Error);
        }
      };
      this.link.on('event', listener);
      try {
        const r = await send();
        checkResult(r.result, what);
        await withTimeout(done, ms, what);
      } finally {
        this.link.off('event', listener);
      }
    });
  }

  /** step() helper: procedure_completed ends the procedure, with its result. */
  private static completed(e: BgapiEvent, what: string, tolerate?: number): EventStep | undefined {
    if (e.name !== 'attclient_procedure_completed') return undefined;
    if (e.params.result !== 0 && e.params.result !== tolerate)
      throw resultError(e.params.result, what);
    return 'done';
  }

  async disconnect(): Promise<void> {
    if (!this.isConnected) return;
    const gone = this.link.waitEvent(
      'connection_disconnected',
      (p) => p.connection === this.handle,
      10_000,
    );
    try {
      const r = await this.link.command('connection_disconnect', { connection: this.handle });
      if (r.result === BgapiResult.notConnected) {
        gone.cancel();
        this.gone('local');
        return;
      }
      checkResult(r.result, 'connection_disconnect');
      await gone.promise;
    } catch (err) {
      gone.cancel();
      if (this.link.closed) return this.gone('adapter');
      throw err;
    }
    this.gone('local');
  }

  async discover(refresh: boolean): Promise<ServiceInfo[]> {
    if (this.db && !refresh) return structuredClone(this.db);
    const groups: FoundGroup[] = [];
    for (const [type, primary] of [
      [GattUuid16.PrimaryService, true],
      [GattUuid16.SecondaryService, false],
    ] as const) {
      await this.procedure(
        'read_by_group_type',
        () =>
          this.link.command('attclient_read_by_group_type', {
            connection: this.handle,
            start: 1,
            end: 0xffff,
            uuid: uuid16Bytes(type),
          }),
        (e) => {
          if (e.name === 'attclient_group_found') {
            groups.push({ start: e.params.start, end: e.params.end, uuid: e.params.uuid, primary });
            return 'more';
          }
          return BgapiConnection.completed(e, 'service discovery', BgapiResult.attNotFound);
        },
      );
    }
    const declarations: FoundDeclaration[] = [];
    const information = new Map<number, Buffer>();
    if (groups.length > 0) {
      const end = Math.max(...groups.map((g) => g.end));
      await this.procedure(
        'read_by_type',
        () =>
          this.link.command('attclient_read_by_type', {
            connection: this.handle,
            start: 1,
            end,
            uuid: uuid16Bytes(GattUuid16.Characteristic),
          }),
        (e) => {
          if (e.name === 'attclient_attribute_value') {
            declarations.push({ handle: e.params.atthandle, value: e.params.value });
            return 'more';
          }
          return BgapiConnection.completed(e, 'characteristic discovery', BgapiResult.attNotFound);
        },
      );
      await this.procedure(
        'find_information',
        () =>
          this.link.command('attclient_find_information', {
            connection: this.handle,
            start: 1,
            end,
          }),
        (e) => {
          if (e.name === 'attclient_find_information_found') {
            information.set(e.params.chrhandle, e.params.uuid);
            return 'more';
          }
          return BgapiConnection.completed(e, 'descriptor discovery', BgapiResult.attNotFound);
        },
      );
    }
    this.db = assembleDatabase(groups, declarations, information);
    return structuredClone(this.db);
  }

  /** ATT Read; a value that fills the whole response may be longer, so it is read long. */
  private async readHandle(handle: number): Promise<Buffer> {
    validateHandle(handle);
    let value: Buffer | undefined;
    await this.procedure(
      `read 0x${handle.toString(16)}`,
      () =>
        this.link.command('attclient_read_by_handle', {
          connection: this.handle,
          chrhandle: handle,
        }),
      (e) => {
        if (
          e.name === 'attclient_attribute_value' &&
          e.params.atthandle === handle &&
          e.params.type === AttributeValueType.read
        ) {
          value = e.params.value;
          return 'done';
        }
        return BgapiConnection.completed(e, `read 0x${handle.toString(16)}`);
      },
    );
    const v = value ?? Buffer.alloc(0);
    return v.length >= BGAPI_MTU - 1 ? this.readLong(handle) : v;
  }

  /** attclient_read_long: the dongle reads blob by blob and reports each part. */
  async readLong(handle: number): Promise<Buffer> {
    validateHandle(handle);
    const parts: Buffer[] = [];
    await this.procedure(
      `read long 0x${handle.toString(16)}`,
      () =>
        this.link.command('attclient_read_long', { connection: this.handle, chrhandle: handle }),
      (e) => {
        if (e.name === 'attclient_attribute_value' && e.params.atthandle === handle) {
          parts.push(e.params.value);
          return 'more';
        }
        return BgapiConnection.completed(e, `read long 0x${handle.toString(16)}`);
      },
      LONG_VALUE_MS,
    );
    return Buffer.concat(parts);
  }

  read(c: CharacteristicInfo): Promise<Buffer> {
    return this.readHandle(c.valueHandle);
  }

  readDescriptor(handle: number): Promise<Buffer> {
    return this.readHandle(handle);
  }

  private async writeHandle(handle: number, value: Buffer, withResponse: boolean): Promise<void> {
    validateHandle(handle);
    const what = `write 0x${handle.toString(16)}`;
    if (!withResponse) {
      if (value.length > BGAPI_MTU - 3) {
        throw new InvalidArgumentError(
          `A write without response carries at most ${BGAPI_MTU - 3} bytes at MTU ${BGAPI_MTU}; got ${value.length}`,
        );
      }
      await this.exclusive(async () => {
        this.check();
        const r = await this.link.command('attclient_write_command', {
          connection: this.handle,
          atthandle: handle,
          data: value,
        });
        checkResult(r.result, what);
      });
      return;
    }
    if (value.length <= BGAPI_MTU - 3) {
      await this.procedure(
        what,
        () =>
          this.link.command('attclient_attribute_write', {
            connection: this.handle,
            atthandle: handle,
            data: value,
          }),
        (e) => BgapiConnection.completed(e, what),
      );
      return;
    }
    await this.writeLong(handle, value);
  }

  /** Long write: Prepare Write parts of MTU-5 bytes, then Execute Write. */
  private async writeLong(handle: number, value: Buffer): Promise<void> {
    const what = `long write 0x${handle.toString(16)}`;
    if (value.length > MAX_ATTRIBUTE_LENGTH) {
      throw new InvalidArgumentError(
        `An attribute value holds at most ${MAX_ATTRIBUTE_LENGTH} bytes; got ${value.length}`,
      );
    }
    const part = BGAPI_MTU - 5;
    try {
      for (let off = 0; off < value.length; off += part) {
        await this.procedure(
          what,
          () =>
            this.link.command('attclient_prepare_write', {
              connection: this.handle,
              atthandle: handle,
              offset: off,
              data: value.subarray(off, off + part),
            }),
          (e) => BgapiConnection.completed(e, what),
        );
      }
    } catch (err) {
      await this.execute(0, what).catch(() => undefined);
      throw err;
    }
    await this.execute(1, what);
  }

  private execute(commit: 0 | 1, what: string): Promise<void> {
    return this.procedure(
      what,
      () => this.link.command('attclient_execute_write', { connection: this.handle, commit }),
      (e) => BgapiConnection.completed(e, what),
    );
  }

  write(c: CharacteristicInfo, value: Buffer, withResponse: boolean): Promise<void> {
    return this.writeHandle(c.valueHandle, value, withResponse);
  }

  writeDescriptor(handle: number, value: Buffer): Promise<void> {
    return this.writeHandle(handle, value, true);
  }

  private cccd(c: CharacteristicInfo): number {
    const d = c.descriptors.find((x) => x.uuid === normalizeUuid(GattUuid16.Cccd));
    if (!d) throw new NotSupportedError(`Characteristic ${c.uuid} has no CCCD`);
    return d.handle;
  }

  async subscribe(
    c: CharacteristicInfo,
    options: BackendSubscribeOptions,
    onValue: (value: Buffer) => void,
  ): Promise<void> {
    const cccd = this.cccd(c);
    const indicate = options.indicate || (!c.properties.notify && c.properties.indicate);
    this.listeners.set(c.valueHandle, onValue);
    try {
      await this.writeHandle(cccd, Buffer.from([indicate ? 0x02 : 0x01, 0x00]), true);
    } catch (err) {
      this.listeners.delete(c.valueHandle);
      throw err;
    }
  }

  async unsubscribe(c: CharacteristicInfo): Promise<void> {
    this.listeners.delete(c.valueHandle);
    if (!this.isConnected) return;
    await this.writeHandle(this.cccd(c), Buffer.from([0, 0]), true);
  }

  mtu(): number {
    return BGAPI_MTU;
  }

  async exchangeMtu(_mtu: number): Promise<number> {
    throw new NotSupportedError('BLED112 firmware keeps the ATT MTU at 23');
  }

  async rssi(): Promise<number | undefined> {
    this.check();
    const r = await this.link.command('connection_get_rssi', { connection: this.handle });
    return rssiOrUndefined(r.rssi);
  }

  /** Encrypts the link (Just Works); 'medium' also stores a bond on the dongle. */
  async pair(level: SecurityLevel): Promise<void> {
    this.check();
    if (level === 'low') return;
    if (level === 'high') {
      throw new NotSupportedError(
        'BGAPI backend: authenticated (MITM) pairing needs passkey entry, not offered',
      );
    }
    await this.host.setBondable(true);
    const encrypted = this.link.waitEvent(
      'connection_status',
      (p) => p.connection === this.handle && (p.flags & ConnectionStatusFlag.encrypted) !== 0,
      60_000,
    );
    const failed = this.link.waitEvent('sm_bonding_fail', (p) => p.handle === this.handle, 60_000);
    try {
      const r = await this.link.command('sm_encrypt_start', { handle: this.handle, bonding: 1 });
      checkResult(r.result, 'sm_encrypt_start');
      const e = await Promise.race([encrypted.promise, failed.promise]);
      if (e.name === 'sm_bonding_fail') throw resultError(e.params.result, 'pairing');
      if (e.params.bonding !== 0xff) this.host.rememberBond(this.address, e.params.bonding);
    } finally {
      encrypted.cancel();
      failed.cancel();
      encrypted.promise.catch(() => undefined);
      failed.promise.catch(() => undefined);
    }
  }
}
