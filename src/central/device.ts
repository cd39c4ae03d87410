import { EventEmitter } from 'node:events';
import {
  BleError,
  InvalidArgumentError,
  runOperation,
  type Operation,
  log,
  type OperationOptions,
  NotConnectedError,
  SubscriptionLostError,
  delay,
  normalizeUuid,
  toBuffer,
  type AddressType,
  type BytesLike,
} from '../core/index.js';
import { BoundedQueue, type BoundedStream } from '../core/bounded-queue.js';
import { reportDrop } from '../core/log.js';
import type { BackendConnection, BackendSubscribeOptions, ConnectionEvents } from './backend.js';
import { GattDatabase, validateRef } from './database.js';
import type {
  AutoReconnectOptions,
  CharacteristicInfo,
  CharacteristicRef,
  DeviceEvents,
  DiscoverOptions,
  NotificationsOptions,
  DisconnectReason,
  NotificationCallback,
  SecurityLevel,
  ServiceInfo,
  SubscribeOptions,
  WriteOptions,
} from './types.js';
import { describeValue } from '../core/describe.js';
import { ATT_DEFAULT_MTU, ATT_MAX_MTU, MAX_ATTRIBUTE_LENGTH } from '../protocol/att.js';

const trace = log('central');

/** Default time limit of one Device operation. */
export const DEFAULT_OPERATION_MS = 30_000;
/** Notifications buffered per notifications() stream before the oldest are dropped. */
const NOTIFICATION_BUFFER = 256;
const SECURITY_LEVELS: readonly SecurityLevel[] = ['low', 'medium', 'high'];

/** A callback given to Device.registerDisconnectCallback(). */
export type DisconnectCallback = (device: Device, reason: DisconnectReason) => void;

interface Subscription {
  /** Service + characteristic UUIDs: how the subscription is found again after handles change. */
  serviceUuid: string;
  uuid: string;
  info: CharacteristicInfo;
  options: BackendSubscribeOptions;
  callbacks: Set<NotificationCallback>;
  /** Settles when the first enabling on the peer does (callers that join wait for it too). */
  ready: Promise<void>;
  /** Cancels that enabling once no caller wants it any more. */
  cancel?: AbortController;
}

/** How the Device opens a new backend connection (first connect and every reconnect). */
export type Connector = (events: ConnectionEvents) => Promise<BackendConnection>;

function checkValueLength(buf: Buffer): void {
  if (buf.length > MAX_ATTRIBUTE_LENGTH) {
    throw new InvalidArgumentError(
      `Value is ${buf.length} bytes; attributes hold at most ${MAX_ATTRIBUTE_LENGTH}`,
    );
  }
}

/** Backends throw typed errors; anything else thrown is wrapped so listeners always get an Error. */
function asError(e: unknown): Error {
  return e instanceof Error ? e : new BleError(String(e));
}

export function checkSecurityLevel(level: unknown): SecurityLevel {
  if (!SECURITY_LEVELS.includes(level as SecurityLevel)) {
    throw new InvalidArgumentError(
      `securityLevel must be low, medium or high: ${describeValue(level)}`,
    );
  }
  return level as SecurityLevel;
}

/**
 * A connected peripheral, seen from the central. Events ({@link DeviceEvents}): 'disconnect' (reason), 'reconnect',
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
 *
 * Errors, the same for every operation: InvalidArgumentError for bad input (before any I/O,
 * including a bare UUID that matches several characteristics); NotFoundError for a service,
 * characteristic or descriptor the peer does not have; NotConnectedError when the link is
 * down or drops during the call; TimeoutError past the call's `timeoutMs` (else the Device's
 * `operationTimeoutMs`); AbortError when its `signal` aborts; AttError when the peer refuses
 * (`attCode` says why); PermissionError when pairing is refused or failed; NotSupportedError
 * when the backend cannot do it (see its `capabilities`).
 */
export class Device extends EventEmitter<DeviceEvents> {
  /** The peer's address, 'AA:BB:CC:DD:EE:FF' (upper case). */
  readonly address: string;
  /** Whether the peer's address is public or random. */
  readonly addressType: AddressType;
  private conn: BackendConnection | undefined;
  private db: GattDatabase | undefined;
  private readonly subs = new Map<number, Subscription>();
  private readonly disconnectCallbacks = new Set<DisconnectCallback>();
  private closing = false;
  private reconnecting: Promise<void> | undefined;
  private readonly reconnect: Required<AutoReconnectOptions> | undefined;
  private readonly abortReconnect = new AbortController();
  /** Open notifications() streams: they end when the Device is closed for good. */
  private readonly streams = new Set<BoundedQueue<Buffer>>();
  private readonly onClosed: (d: Device) => void;
  /**
   * Time limit of each operation that gives no `timeoutMs` of its own (Infinity: the
   * backend's own limits only). Set from ConnectOptions.operationTimeoutMs or the Central's.
   */
  operationTimeoutMs: number;
  /** @internal Aborts every pending operation of this Device (the Central's `signal`). */
  readonly signal: AbortSignal | undefined;

  /** @internal Central creates devices; use Central.connect(). */
  constructor(
    private readonly connector: Connector,
    conn: BackendConnection,
    reconnect: AutoReconnectOptions | undefined,
    onClosed: (d: Device) => void,
    defaults: OperationOptions = {},
  ) {
    super();
    this.onClosed = (d) => {
      for (const q of [...this.streams]) q.end();
      onClosed(d);
    };
    this.operationTimeoutMs = defaults.timeoutMs ?? DEFAULT_OPERATION_MS;
    this.signal = defaults.signal;
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

  /** True while the link is up (false during an auto-reconnect's wait). */
  get connected(): boolean {
    return this.conn?.connected ?? false;
  }

  /** The discovered services (empty before discover()). */
  get services(): readonly ServiceInfo[] {
    return this.db?.services ?? [];
  }

  /** Calls `cb` with the reason each time the link drops (pygatt's API; the 'disconnect' event is the same). */
  registerDisconnectCallback(cb: DisconnectCallback): void {
    if (typeof cb !== 'function') throw new InvalidArgumentError('callback must be a function');
    this.disconnectCallbacks.add(cb);
  }

  /** Stops calling a callback given to registerDisconnectCallback(). */
  removeDisconnectCallback(cb: DisconnectCallback): void {
    this.disconnectCallbacks.delete(cb);
  }

  /**
   * Disconnects for good (no auto-reconnect) and drops every subscription. The Device's state
   * is released even when the call times out or is aborted.
   */
  async disconnect(options: OperationOptions = {}): Promise<void> {
    trace.debug(`${this.address}: disconnect() called`);
    this.closing = true;
    this.abortReconnect.abort();
    const conn = this.conn;
    this.subs.clear();
    try {
      if (conn?.connected) {
        await this.op('disconnect', options, (signal) => conn.disconnect({ signal }));
      }
    } finally {
      this.onClosed(this);
    }
  }

  /**
   * Discovers (or returns the cached) database. `refresh` (or `{ refresh: true }`) re-reads it
   * from the peer.
   *
   * @example
   * ```ts
   * const services = await device.discover({ timeoutMs: 10_000 });
   * ```
   */
  async discover(options: boolean | DiscoverOptions = false): Promise<ServiceInfo[]> {
    const o = typeof options === 'boolean' ? { refresh: options } : options;
    if (this.db && !o.refresh) return [...this.db.services];
    return this.op('discover', o, (signal) => this.discoverNow(o.refresh ?? false, signal));
  }

  /** Looks a characteristic up (discovers first if needed). */
  async characteristic(
    ref: CharacteristicRef,
    options: OperationOptions = {},
  ): Promise<CharacteristicInfo> {
    const known = this.db?.resolved(ref);
    if (known) return known;
    validateRef(ref);
    if (!this.db) await this.discover(options);
    return (this.db as GattDatabase).find(ref);
  }

  /**
   * Reads a characteristic's value (ATT Read, long reads included).
   *
   * @example
   * ```ts
   * const level = await device.read('2a19', { timeoutMs: 5000 });
   * const v = await device.read({ service: '180d', characteristic: '2a38' });
   * ```
   */
  async read(ref: CharacteristicRef, options: OperationOptions = {}): Promise<Buffer> {
    return this.op('read', options, async (signal) => {
      const c = await this.resolve(ref, signal);
      return this.live().read(c, { signal });
    });
  }

  /**
   * Writes a characteristic's value: a Write Request (the peer acknowledges) or, with
   * `withoutResponse`, a Write Command of at most MTU-3 bytes.
   *
   * @example
   * ```ts
   * await device.write('2a39', [0x01]);
   * await device.write({ handle: 0x002a }, 'hi', { withoutResponse: true });
   * ```
   */
  async write(ref: CharacteristicRef, value: BytesLike, options: WriteOptions = {}): Promise<void> {
    const buf = toBuffer(value);
    if (!this.db?.resolved(ref)) validateRef(ref);
    checkValueLength(buf);
    if (options.ordered !== undefined && typeof options.ordered !== 'boolean') {
      throw new InvalidArgumentError(
        `write: ordered must be a boolean, got ${typeof options.ordered}`,
      );
    }
    await this.op('write', options, async (signal) => {
      const c = await this.resolve(ref, signal);
      const conn = this.live();
      if (options.withoutResponse && buf.length > conn.mtu() - 3) {
        throw new InvalidArgumentError(
          `Write without response carries at most MTU-3 = ${conn.mtu() - 3} bytes, got ${buf.length}`,
        );
      }
      const unordered = options.withoutResponse === true && options.ordered === false;
      await conn.write(c, buf, !options.withoutResponse, { signal, unordered });
    });
  }

  /** Reads a descriptor of a characteristic, e.g. its User Description (0x2901). */
  async readDescriptor(
    ref: CharacteristicRef,
    descriptorUuid: string | number,
    options: OperationOptions = {},
  ): Promise<Buffer> {
    validateRef(ref);
    normalizeUuid(descriptorUuid);
    return this.op('readDescriptor', options, async (signal) => {
      const h = await this.descriptorHandle(ref, descriptorUuid, signal);
      return this.live().readDescriptor(h, { signal });
    });
  }

  /** Writes a descriptor of a characteristic (the CCCD is better left to subscribe()). */
  async writeDescriptor(
    ref: CharacteristicRef,
    descriptorUuid: string | number,
    value: BytesLike,
    options: OperationOptions = {},
  ): Promise<void> {
    const buf = toBuffer(value);
    validateRef(ref);
    normalizeUuid(descriptorUuid);
    checkValueLength(buf);
    await this.op('writeDescriptor', options, async (signal) => {
      const h = await this.descriptorHandle(ref, descriptorUuid, signal);
      await this.live().writeDescriptor(h, buf, { signal });
    });
  }

  /**
   * Adds a callback for notifications (or indications) of a characteristic; the first callback
   * enables them on the peer. Resolves to a function that removes this callback. A call that
   * times out or is aborted leaves no callback behind, and disables the notifications again
   * when the backend enabled them after all.
   *
   * @example
   * ```ts
   * const off = await device.subscribe('2a37', (value) => console.log(value[1]));
   * // ...
   * await off();
   * ```
   */
  async subscribe(
    ref: CharacteristicRef,
    callback: NotificationCallback,
    options: SubscribeOptions = {},
  ): Promise<() => Promise<void>> {
    if (typeof callback !== 'function')
      throw new InvalidArgumentError('callback must be a function');
    const handle = await this.op('subscribe', options, async (signal) => {
      const c = await this.resolve(ref, signal);
      if (!c.properties.notify && !c.properties.indicate) {
        throw new InvalidArgumentError(`Characteristic ${c.uuid} neither notifies nor indicates`);
      }
      if (signal.aborted) throw signal.reason;
      const joined =
        this.subs.get(c.valueHandle) ??
        this.startEnable({
          serviceUuid: this.db?.serviceFor(c)?.uuid ?? '',
          uuid: c.uuid,
          info: c,
          options: {
            indicate: options.indicate ?? false,
            forceStartNotify: options.forceStartNotify ?? false,
          },
          callbacks: new Set(),
        });
      joined.callbacks.add(callback);
      // The caller stops waiting: take the callback back out at once (undoing the enabling
      // when no one else wants it).
      const onAbort = (): void => this.release(joined, callback);
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        // Later callers wait for the same enabling as the first.
        await joined.ready;
      } catch (e) {
        joined.callbacks.delete(callback);
        throw e;
      } finally {
        signal.removeEventListener('abort', onAbort);
      }
      return c.valueHandle;
    });
    return () => this.unsubscribe({ handle }, callback);
  }

  /**
   * The notifications (or indications) of a characteristic as an async iterator. Subscribing
   * starts at the first `next()` (with the options' `signal` and `timeoutMs`); leaving the loop
   * unsubscribes. A consumer more than `bufferSize` values behind (default 256) loses the
   * oldest: `dropped` counts them and the first drop is reported as a
   * BLEKIT_NOTIFICATIONS_DROPPED warning. The loop ends when the Device is closed for good
   * (disconnect(), or the link lost without auto-reconnect); `signal` aborting fails it with
   * AbortError. Values survive reconnects like subscribe()'s.
   *
   * @example
   * ```ts
   * const ac = new AbortController();
   * process.once('SIGINT', () => ac.abort());
   * const stream = device.notifications('2a37', { signal: ac.signal });
   * for await (const value of stream) console.log('heart rate', value[1]);
   * ```
   */
  notifications(ref: CharacteristicRef, options: NotificationsOptions = {}): BoundedStream<Buffer> {
    if (!this.db?.resolved(ref)) validateRef(ref);
    let off: (() => Promise<void>) | undefined;
    let finished = false;
    const unsubscribe = (): Promise<void> => {
      const f = off;
      off = undefined;
      return f
        ? f().catch((e: unknown) => trace.debug(`notifications: unsubscribe: ${String(e)}`))
        : Promise.resolve();
    };
    const queue: BoundedQueue<Buffer> = new BoundedQueue<Buffer>({
      limit: options.bufferSize ?? NOTIFICATION_BUFFER,
      signal: options.signal,
      overflow: 'dropOldest',
      onDrop: (n) =>
        reportDrop(
          'central',
          'BLEKIT_NOTIFICATIONS_DROPPED',
          `notifications of ${this.address}`,
          n,
        ),
      onStart: () => {
        this.subscribe(ref, (v) => queue.push(v), options).then(
          (f) => {
            off = f;
            if (finished) void unsubscribe();
          },
          (e: unknown) => queue.fail(asError(e)),
        );
      },
      onReturn: unsubscribe,
    });
    this.streams.add(queue);
    queue.onDone(() => {
      finished = true;
      this.streams.delete(queue);
      void unsubscribe();
    });
    return queue;
  }

  /** Removes one callback (or all); the last one gone disables notifications on the peer. */
  async unsubscribe(
    ref: CharacteristicRef,
    callback?: NotificationCallback,
    options: OperationOptions = {},
  ): Promise<void> {
    await this.op('unsubscribe', options, async (signal) => {
      const c = await this.resolve(ref, signal);
      const sub = this.subs.get(c.valueHandle);
      if (!sub) return;
      if (callback) sub.callbacks.delete(callback);
      else sub.callbacks.clear();
      if (sub.callbacks.size > 0) return;
      this.subs.delete(c.valueHandle);
      if (this.conn?.connected) await this.conn.unsubscribe(sub.info, { signal });
    });
  }

  /** The ATT MTU in use. */
  get mtu(): number {
    return this.live().mtu();
  }

  /**
   * Asks for a larger ATT MTU (23..517) where the backend can (see
   * `backend.capabilities.mtuExchange`); resolves to the MTU now in use.
   */
  async exchangeMtu(mtu: number, options: OperationOptions = {}): Promise<number> {
    if (!Number.isInteger(mtu) || mtu < ATT_DEFAULT_MTU || mtu > ATT_MAX_MTU) {
      throw new InvalidArgumentError(
        `MTU must be ${ATT_DEFAULT_MTU}..${ATT_MAX_MTU}: ${describeValue(mtu)}`,
      );
    }
    return this.op('exchangeMtu', options, (signal) => this.live().exchangeMtu(mtu, { signal }));
  }

  /**
   * The link's current RSSI in dBm (backends with `capabilities.connectionRssi`); undefined
   * when the controller has no reading (HCI's 127, "not available").
   */
  async rssi(options: OperationOptions = {}): Promise<number | undefined> {
    return this.op('rssi', options, (signal) => this.live().rssi({ signal }));
  }

  /**
   * Pairs (and bonds) at `securityLevel`: 'medium' encrypts, 'high' also authenticates (MITM
   * protection, needs an agent able to confirm a passkey). Aborting asks the backend to cancel
   * the pairing where it can.
   *
   * @example
   * ```ts
   * await device.pair('medium', { timeoutMs: 30_000 });
   * ```
   */
  async pair(
    securityLevel: SecurityLevel = 'medium',
    options: OperationOptions = {},
  ): Promise<void> {
    const level = checkSecurityLevel(securityLevel);
    await this.op('pair', options, (signal) => this.live().pair(level, { signal }));
  }

  /** `await using` support: disconnect() when the scope ends. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.disconnect();
  }

  /**
   * Runs one operation under its time limit and signals: the call's own, else this Device's
   * defaults. `run` gets a signal that aborts when the caller stops waiting.
   */
  private op<T>(what: string, options: OperationOptions, run: Operation<T>): Promise<T> {
    const p = runOperation(`${what} on ${this.address}`, options, this, run);
    if (trace.enabled) {
      p.catch((e: unknown) => trace.debug(`${what} on ${this.address} failed: ${String(e)}`));
    }
    return p;
  }

  /** characteristic() inside an operation: discovery, when needed, shares its signal. */
  private async resolve(ref: CharacteristicRef, signal: AbortSignal): Promise<CharacteristicInfo> {
    const known = this.db?.resolved(ref);
    if (known) return known;
    validateRef(ref);
    if (!this.db) await this.discoverNow(false, signal);
    return (this.db as GattDatabase).find(ref);
  }

  private async discoverNow(refresh: boolean, signal?: AbortSignal): Promise<ServiceInfo[]> {
    const conn = this.live();
    const services = await conn.discover(refresh, { signal });
    // A discovery the caller gave up on does not replace the database.
    if (signal?.aborted) throw signal.reason;
    this.db = new GattDatabase(services);
    return [...this.db.services];
  }

  private async descriptorHandle(
    ref: CharacteristicRef,
    descriptorUuid: string | number,
    signal: AbortSignal,
  ): Promise<number> {
    if (!this.db) await this.discoverNow(false, signal);
    return (this.db as GattDatabase).findDescriptor(ref, descriptorUuid);
  }

  /** Registers `sub` and starts enabling it on the peer; a failed enabling unregisters it. */
  private startEnable(fields: Omit<Subscription, 'ready' | 'cancel'>): Subscription {
    const handle = fields.info.valueHandle;
    const cancel = new AbortController();
    const sub: Subscription = { ...fields, cancel, ready: Promise.resolve() };
    this.subs.set(handle, sub);
    sub.ready = this.enable(sub, cancel.signal);
    sub.ready.catch(() => {
      if (this.subs.get(handle) === sub) this.subs.delete(handle);
    });
    return sub;
  }

  /**
   * Takes back the callback of a subscribe() whose caller stopped waiting. When it was the
   * last one, the pending enabling is cancelled, and should the backend finish it anyway,
   * notifications are disabled again: nothing stays subscribed that nobody asked for.
   */
  private release(sub: Subscription, callback: NotificationCallback): void {
    sub.callbacks.delete(callback);
    const handle = sub.info.valueHandle;
    if (sub.callbacks.size > 0 || this.subs.get(handle) !== sub) return;
    this.subs.delete(handle);
    sub.cancel?.abort();
    sub.ready.then(
      () => {
        const conn = this.conn;
        if (conn?.connected && !this.subs.has(handle)) {
          conn.unsubscribe(sub.info).catch((e: unknown) => {
            trace.debug(`${this.address}: undoing an abandoned subscribe failed: ${String(e)}`);
          });
        }
      },
      () => undefined,
    );
  }

  private live(): BackendConnection {
    const c = this.conn;
    if (!c || !c.connected) throw new NotConnectedError(`${this.address} is not connected`);
    return c;
  }

  private async enable(sub: Subscription, signal?: AbortSignal): Promise<void> {
    const deliver = (value: Buffer): void => {
      for (const cb of sub.callbacks) cb(value, sub.info);
    };
    await this.live().subscribe(sub.info, sub.options, deliver, { signal });
  }

  private handleDisconnect(reason: DisconnectReason): void {
    for (const cb of this.disconnectCallbacks) {
      try {
        cb(this, reason);
      } catch {
        // A failing user callback must not stop the others or the reconnect below.
      }
    }
    trace.debug(`${this.address}: link down (${reason})`);
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
        trace.debug(`${this.address}: reconnected on attempt ${attempt}`);
        this.emit('reconnect');
        return;
      } catch (e) {
        if (signal.aborted) return;
        trace.debug(`${this.address}: reconnect attempt ${attempt} failed: ${String(e)}`);
        this.emit('reconnectFailed', asError(e), attempt);
        wait = Math.min(wait * 2, opts.maxDelayMs);
      }
    }
    if (signal.aborted) return;
    trace.debug(`${this.address}: reconnect gave up after ${opts.maxAttempts} attempts`);
    this.onClosed(this);
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
