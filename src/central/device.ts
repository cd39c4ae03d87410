import { EventEmitter } from 'node:events';
import {
  InvalidArgumentError,
  NotConnectedError,
  SubscriptionLostError,
  delay,
  log,
  normalizeUuid,
  toBuffer,
  type AddressType,
  type BytesLike,
} from '../core/index.js';
import type { BackendConnection, ConnectionEvents } from './backend.js';
import { GattDatabase, validateRef } from './database.js';
import type {
  AutoReconnectOptions,
  CharacteristicInfo,
  CharacteristicRef,
  DisconnectReason,
  NotificationCallback,
  SecurityLevel,
  ServiceInfo,
  SubscribeOptions,
  WriteOptions,
} from './types.js';
import { describeValue } from '../core/describe.js';

/** Longest attribute value ATT allows (Core Vol 3 Part F 3.2.9). */
export const MAX_ATTRIBUTE_LENGTH = 512;
const SECURITY_LEVELS: readonly SecurityLevel[] = ['low', 'medium', 'high'];

export type DisconnectCallback = (device: Device, reason: DisconnectReason) => void;

interface Subscription {
  /** Service + characteristic UUIDs: how the subscription is found again after handles change. */
  serviceUuid: string;
  uuid: string;
  info: CharacteristicInfo;
  options: Required<SubscribeOptions>;
  callbacks: Set<NotificationCallback>;
}

/** How the Device opens a new backend connection (first connect and every reconnect). */
export type Connector = (events: ConnectionEvents) => Promise<BackendConnection>;

export function checkSecurityLevel(level: unknown): SecurityLevel {
  if (!SECURITY_LEVELS.includes(level as SecurityLevel)) {
    throw new InvalidArgumentError(
      `securityLevel must be low, medium or high: ${describeValue(level)}`,
    );
  }
  return level as SecurityLevel;
}

/**
 * A connected peripheral, seen from the central. Events: 'disconnect' (reason), 'reconnect',
 * 'reconnectFailed' (error, attempt), 'servicesChanged', 'subscriptionLost'
 * (SubscriptionLostError). 'error' is never emitted, so no event can crash the process.
 *
 * Subscriptions survive reconnects and database changes: blekit finds each one again by
 * service and characteristic UUID and enables it again. Policy when that fails for one of
 * them (the characteristic is gone, or enabling it was refused while the link stayed up):
 * that subscription is dropped with its callbacks, 'subscriptionLost' reports it, and the
 * link and every other subscription stay as they are. Nothing is silent: with no
 * 'subscriptionLost' listener blekit emits a process warning (BLEKIT_SUBSCRIPTION_LOST).
 * Subscribe again (on 'reconnect' or 'servicesChanged') to resume, or disconnect.
 */
export class Device extends EventEmitter {
  readonly address: string;
  readonly addressType: AddressType;
  private conn: BackendConnection | undefined;
  private db: GattDatabase | undefined;
  private readonly subs = new Map<number, Subscription>();
  private readonly disconnectCallbacks = new Set<DisconnectCallback>();
  private closing = false;
  private reconnecting: Promise<void> | undefined;
  private readonly reconnect: Required<AutoReconnectOptions> | undefined;
  private readonly abortReconnect = new AbortController();

  /** @internal Central creates devices; use Central.connect(). */
  constructor(
    private readonly connector: Connector,
    conn: BackendConnection,
    reconnect: AutoReconnectOptions | undefined,
    private readonly onClosed: (d: Device) => void,
  ) {
    super();
    this.address = conn.address;
    this.addressType = conn.addressType;
    this.conn = conn;
    this.reconnect = reconnect && {
      initialDelayMs: reconnect.initialDelayMs ?? 500,
      maxDelayMs: reconnect.maxDelayMs ?? 10_000,
      maxAttempts: reconnect.maxAttempts ?? Infinity,
    };
  }

  /** @internal The callbacks handed to the backend for one connection. */
  static events(getDevice: () => Device | undefined): ConnectionEvents {
    return {
      onDisconnect: (reason) => getDevice()?.handleDisconnect(reason),
      onServicesChanged: () => getDevice()?.handleServicesChanged(),
    };
  }

  get connected(): boolean {
    return this.conn?.connected ?? false;
  }

  /** The discovered services (empty before discover()). */
  get services(): readonly ServiceInfo[] {
    return this.db?.services ?? [];
  }

  registerDisconnectCallback(cb: DisconnectCallback): void {
    if (typeof cb !== 'function') throw new InvalidArgumentError('callback must be a function');
    this.disconnectCallbacks.add(cb);
  }

  removeDisconnectCallback(cb: DisconnectCallback): void {
    this.disconnectCallbacks.delete(cb);
  }

  /** Disconnects for good (no auto-reconnect) and drops every subscription. */
  async disconnect(): Promise<void> {
    this.closing = true;
    this.abortReconnect.abort();
    const conn = this.conn;
    if (conn?.connected) await conn.disconnect();
    this.subs.clear();
    this.onClosed(this);
  }

  /** Discovers (or returns the cached) database; `refresh` re-reads it from the peer. */
  async discover(refresh = false): Promise<ServiceInfo[]> {
    if (this.db && !refresh) return [...this.db.services];
    const conn = this.live();
    this.db = new GattDatabase(await conn.discover(refresh));
    return [...this.db.services];
  }

  /** Looks a characteristic up (discovers first if needed). */
  async characteristic(ref: CharacteristicRef): Promise<CharacteristicInfo> {
    const known = this.db?.resolved(ref);
    if (known) return known;
    validateRef(ref);
    if (!this.db) await this.discover();
    return (this.db as GattDatabase).find(ref);
  }

  async read(ref: CharacteristicRef): Promise<Buffer> {
    const c = await this.characteristic(ref);
    return this.live().read(c);
  }

  async write(ref: CharacteristicRef, value: BytesLike, options: WriteOptions = {}): Promise<void> {
    const buf = toBuffer(value);
    if (!this.db?.resolved(ref)) validateRef(ref);
    if (buf.length > MAX_ATTRIBUTE_LENGTH) {
      throw new InvalidArgumentError(
        `Value is ${buf.length} bytes; attributes hold at most ${MAX_ATTRIBUTE_LENGTH}`,
      );
    }
    const c = await this.characteristic(ref);
    const conn = this.live();
    if (options.withoutResponse && buf.length > conn.mtu() - 3) {
      throw new InvalidArgumentError(
        `Write without response carries at most MTU-3 = ${conn.mtu() - 3} bytes, got ${buf.length}`,
      );
    }
    await conn.write(c, buf, !options.withoutResponse);
  }

  async readDescriptor(ref: CharacteristicRef, descriptorUuid: string | number): Promise<Buffer> {
    validateRef(ref);
    normalizeUuid(descriptorUuid);
    if (!this.db) await this.discover();
    const h = (this.db as GattDatabase).findDescriptor(ref, descriptorUuid);
    return this.live().readDescriptor(h);
  }

  async writeDescriptor(
    ref: CharacteristicRef,
    descriptorUuid: string | number,
    value: BytesLike,
  ): Promise<void> {
    const buf = toBuffer(value);
    validateRef(ref);
    normalizeUuid(descriptorUuid);
    if (buf.length > MAX_ATTRIBUTE_LENGTH) {
      throw new InvalidArgumentError(`Value is ${buf.length} bytes; at most 512`);
    }
    if (!this.db) await this.discover();
    const h = (this.db as GattDatabase).findDescriptor(ref, descriptorUuid);
    await this.live().writeDescriptor(h, buf);
  }

  /**
   * Adds a callback for notifications (or indications) of a characteristic; the first callback
   * enables them on the peer. Resolves to a function that removes this callback.
   */
  async subscribe(
    ref: CharacteristicRef,
    callback: NotificationCallback,
    options: SubscribeOptions = {},
  ): Promise<() => Promise<void>> {
    if (typeof callback !== 'function')
      throw new InvalidArgumentError('callback must be a function');
    const c = await this.characteristic(ref);
    if (!c.properties.notify && !c.properties.indicate) {
      throw new InvalidArgumentError(`Characteristic ${c.uuid} neither notifies nor indicates`);
    }
    const existing = this.subs.get(c.valueHandle);
    if (existing) {
      existing.callbacks.add(callback);
    } else {
      const sub: Subscription = {
        serviceUuid: this.db?.serviceFor(c)?.uuid ?? '',
        uuid: c.uuid,
        info: c,
        options: {
          indicate: options.indicate ?? false,
          forceStartNotify: options.forceStartNotify ?? false,
        },
        callbacks: new Set([callback]),
      };
      this.subs.set(c.valueHandle, sub);
      try {
        await this.enable(sub);
      } catch (e) {
        this.subs.delete(c.valueHandle);
        throw e;
      }
    }
    return () => this.unsubscribe({ handle: c.valueHandle }, callback);
  }

  /** Removes one callback (or all); the last one gone disables notifications on the peer. */
  async unsubscribe(ref: CharacteristicRef, callback?: NotificationCallback): Promise<void> {
    const c = await this.characteristic(ref);
    const sub = this.subs.get(c.valueHandle);
    if (!sub) return;
    if (callback) sub.callbacks.delete(callback);
    else sub.callbacks.clear();
    if (sub.callbacks.size > 0) return;
    this.subs.delete(c.valueHandle);
    if (this.conn?.connected) await this.conn.unsubscribe(sub.info);
  }

  /** The ATT MTU in use. */
  get mtu(): number {
    return this.live().mtu();
  }

  async exchangeMtu(mtu: number): Promise<number> {
    if (!Number.isInteger(mtu) || mtu < 23 || mtu > 517) {
      throw new InvalidArgumentError(`MTU must be 23..517: ${describeValue(mtu)}`);
    }
    return this.live().exchangeMtu(mtu);
  }

  /** The connection's RSSI in dBm; undefined when the controller has no reading. */
  rssi(): Promise<number | undefined> {
    return this.live().rssi();
  }

  async pair(securityLevel: SecurityLevel = 'medium'): Promise<void> {
    const level = checkSecurityLevel(securityLevel);
    await this.live().pair(level);
  }

  private live(): BackendConnection {
    const c = this.conn;
    if (!c || !c.connected) throw new NotConnectedError(`${this.address} is not connected`);
    return c;
  }

  private async enable(sub: Subscription): Promise<void> {
    await this.live().subscribe(sub.info, sub.options, (value) => {
      for (const cb of sub.callbacks) cb(value, sub.info);
    });
  }

  private handleDisconnect(reason: DisconnectReason): void {
    for (const cb of this.disconnectCallbacks) {
      try {
        cb(this, reason);
      } catch {
        // A failing user callback must not stop the others or the reconnect below.
      }
    }
    this.emit('disconnect', reason);
    if (this.closing || !this.reconnect) {
      if (!this.closing) this.onClosed(this);
      return;
    }
    this.reconnecting ??= this.reconnectLoop().finally(() => (this.reconnecting = undefined));
  }

  private handleServicesChanged(): void {
    this.db = undefined;
    this.emit('servicesChanged');
    if (this.subs.size > 0 && this.connected) {
      this.restoreSubscriptions(true).catch((e: unknown) => {
        // Link gone: the reconnect (if any) restores them; else they end with the device.
        if (this.connected) for (const sub of this.subs.values()) this.lose(sub, e);
      });
    }
  }

  private async reconnectLoop(): Promise<void> {
    const opts = this.reconnect as Required<AutoReconnectOptions>;
    const signal = this.abortReconnect.signal;
    let wait = opts.initialDelayMs;
    for (let attempt = 1; attempt <= opts.maxAttempts && !signal.aborted; attempt++) {
      try {
        await delay(wait, signal);
        this.conn = await this.connector(Device.events(() => this));
        this.db = undefined;
        await this.restoreSubscriptions();
        this.emit('reconnect');
        return;
      } catch (e) {
        if (signal.aborted) return;
        this.emit('reconnectFailed', e, attempt);
        wait = Math.min(wait * 2, opts.maxDelayMs);
      }
    }
    if (!signal.aborted) this.onClosed(this);
  }

  /** Drops a subscription that could not be restored and reports it (see the class doc). */
  private lose(sub: Subscription, cause: unknown): void {
    if (this.subs.get(sub.info.valueHandle) === sub) this.subs.delete(sub.info.valueHandle);
    const where = sub.serviceUuid ? ` in service ${sub.serviceUuid}` : '';
    const why = cause instanceof Error ? cause.message : String(cause);
    const err = new SubscriptionLostError(
      `${this.address}: subscription to ${sub.uuid}${where} could not be restored: ${why}`,
      { cause, characteristic: sub.uuid, service: sub.serviceUuid || undefined },
    );
    if (this.listenerCount('subscriptionLost') > 0) this.emit('subscriptionLost', err);
    else log('central').warn('BLEKIT_SUBSCRIPTION_LOST', err.message);
  }

  /**
   * Finds every subscription again (handles may have moved) and re-enables it on the peer;
   * with `keepLive` (same link) one the backend reports as still delivering is kept as it is.
   * One that cannot be restored while the link stays up is lost (see the class doc); a
   * failure of the link itself is thrown, for the reconnect loop to try again.
   */
  private async restoreSubscriptions(keepLive = false): Promise<void> {
    await this.discover(true);
    const db = this.db as GattDatabase;
    const old = [...this.subs.values()];
    this.subs.clear();
    for (const [i, sub] of old.entries()) {
      let info: CharacteristicInfo;
      try {
        info = db.find(
          sub.serviceUuid
            ? { service: sub.serviceUuid, characteristic: sub.uuid }
            : { handle: sub.info.valueHandle },
        );
        if (!info.properties.notify && !info.properties.indicate) {
          throw new InvalidArgumentError(`${info.uuid} no longer notifies nor indicates`);
        }
      } catch (e) {
        this.lose(sub, e);
        continue;
      }
      const live = this.conn;
      const unchanged =
        keepLive &&
        info.valueHandle === sub.info.valueHandle &&
        live?.subscriptionAlive?.(info) === true;
      sub.info = info;
      this.subs.set(info.valueHandle, sub);
      if (unchanged) continue;
      try {
        await this.enable(sub);
      } catch (e) {
        if (this.connected) {
          this.lose(sub, e);
          continue;
        }
        // The link went down: keep the rest for the next attempt to restore.
        for (const rest of old.slice(i + 1)) this.subs.set(rest.info.valueHandle, rest);
        throw e;
      }
    }
  }
}
