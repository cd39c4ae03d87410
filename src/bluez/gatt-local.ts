import { EventEmitter, on } from 'node:events';
import {
  AttError,
  normalizeUuid,
  withTimeout,
  type BytesLike,
  type CharacteristicFlag,
} from '../core/index.js';
import { closeFd, nativeAvailable, seqpacketPair, type PacketSocket } from '../native/seqpacket.js';
import { Reply, type ObjectSpec, type ObjectTree } from '../dbus/client/object-tree.js';
import {
  applyWrite,
  parseReadOptions,
  parseWriteOptions,
  sliceForOffset,
  toDBusReply,
} from './gatt-requests.js';
import type {
  CharacteristicDefinition,
  DescriptorDefinition,
  DescriptorFlag,
  ReadHandler,
  ReadRequest,
  RemoteDevice,
  ServiceDefinition,
  WriteHandler,
  WriteRequest,
} from '../peripheral/gatt/types.js';
import {
  checkCharacteristicFlags,
  checkDescriptorFlags,
  checkHandle,
  checkValue,
  MAX_ATTRIBUTE_LENGTH,
} from '../peripheral/gatt/validate.js';
import { IFACE } from './names.js';
import { NotifyPacer } from './notify-pacer.js';
import { acquiredSocket } from './acquired-socket.js';
import { ATT_DEFAULT_MTU } from '../protocol/att.js';

const SERVICE_IFACE = IFACE.service;
const CHAR_IFACE = IFACE.characteristic;
const DESC_IFACE = IFACE.descriptor;

/** What attributes need from the application that owns them. */
export interface AttributeHost {
  readonly tree: ObjectTree;
  /** Resolves when bluetoothd has processed every message we sent before. */
  roundTrip(): Promise<void>;
  /** The connected central when exactly one is connected (BlueZ's StartNotify names none). */
  soleDevice(): RemoteDevice | undefined;
  /** A handler threw something that is not an AttError. */
  reportHandlerError(err: unknown, where: string): void;
}

/** A central enabled or disabled notifications of a characteristic. */
export interface SubscriptionEvent {
  characteristic: LocalCharacteristic;
  /** Known from AcquireNotify, or inferred when a single central is connected. */
  device?: RemoteDevice;
  /** 'socket' when BlueZ took the AcquireNotify fast path, else 'dbus'. */
  via: 'socket' | 'dbus';
}

interface AttributeEvents {
  read: [req: ReadRequest];
  write: [req: WriteRequest];
}

interface CharacteristicEvents extends AttributeEvents {
  subscribe: [ev: SubscriptionEvent];
  unsubscribe: [ev: SubscriptionEvent];
  /** A client confirmed an indication (BlueZ does not say which client or which value). */
  confirm: [];
}

abstract class Attribute<
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- EventEmitter's own constraint
  E extends AttributeEvents & Record<keyof E, any[]>,
> extends EventEmitter<E> {
  /** The UUID, normalized to 128-bit lower case. */
  readonly uuid: string;
  protected stored: Buffer;
  protected readonly onReadHandler?: ReadHandler;
  protected readonly onWriteHandler?: WriteHandler;
  /** Handle BlueZ gave the attribute (set once the application is registered). */
  handle: number;
  path = '';
  protected host?: AttributeHost;

  constructor(def: CharacteristicDefinition | DescriptorDefinition) {
    super();
    this.uuid = normalizeUuid(def.uuid);
    this.stored = def.value === undefined ? Buffer.alloc(0) : checkValue(def.value, this.uuid);
    if (def.onRead) this.onReadHandler = def.onRead;
    if (def.onWrite) this.onWriteHandler = def.onWrite;
    this.handle = checkHandle(def.handle, this.uuid);
  }

  /** The stored value (what reads return when there is no onRead handler). */
  get value(): Buffer {
    return this.stored;
  }

  /**
   * Replaces the stored value without telling subscribers (notify() does both).
   * @throws InvalidArgumentError for something not bytes, or more than 512 bytes.
   */
  set value(v: BytesLike) {
    this.stored = checkValue(v, this.uuid);
  }

  /** ReadValue/WriteValue, the same for characteristics and descriptors in BlueZ's API. */
  protected valueMethods(): NonNullable<ObjectSpec[string]['methods']> {
    return {
      ReadValue: {
        inSignature: 'a{sv}',
        outSignature: 'ay',
        handler: ([opts]) => this.handleRead(opts),
      },
      WriteValue: {
        inSignature: 'aya{sv}',
        outSignature: '',
        handler: async ([value, opts]) => {
          await this.handleWrite(value as Buffer, opts);
        },
      },
    };
  }

  protected async handleRead(options: unknown): Promise<unknown[]> {
    const req = parseReadOptions(options);
    (this.emit as (e: string, r: ReadRequest) => boolean)('read', req);
    try {
      const whole = this.onReadHandler
        ? checkValue(await this.onReadHandler(req), this.uuid)
        : this.stored;
      return [sliceForOffset(whole, req.offset)];
    } catch (err) {
      throw this.replyError(err, 'read');
    }
  }

  protected async handleWrite(value: Buffer, options: unknown): Promise<void> {
    const req = parseWriteOptions(Buffer.from(value), options);
    try {
      if (this.onWriteHandler) await this.onWriteHandler(req);
      else this.stored = applyWrite(this.stored, req.value, req.offset, MAX_ATTRIBUTE_LENGTH);
    } catch (err) {
      throw this.replyError(err, 'write');
    }
    this.emitWrite(req);
  }

  protected emitWrite(req: WriteRequest): void {
    (this.emit as (e: string, r: WriteRequest) => boolean)('write', req);
  }

  private replyError(err: unknown, op: string): Error {
    if (!(err instanceof AttError)) this.host?.reportHandlerError(err, `${op} ${this.uuid}`);
    return toDBusReply(err);
  }

  /** Every write this attribute accepts, as an async iterator; ends when `signal` aborts. */
  writes(signal?: AbortSignal): AsyncIterableIterator<WriteRequest> {
    const it = on(this as EventEmitter, 'write', signal ? { signal } : {});
    return (async function* () {
      for await (const [req] of it) yield req as WriteRequest;
    })();
  }

  protected handleProps(): Record<
    string,
    { signature: string; get(): unknown; set(v: unknown): void }
  > {
    return {
      Handle: {
        signature: 'q',
        get: () => this.handle,
        set: (v) => {
          this.handle = Number(v);
        },
      },
    };
  }
}

/** A descriptor the peripheral serves. */
export class LocalDescriptor extends Attribute<AttributeEvents> {
  /** Its flags as registered. */
  readonly flags: readonly DescriptorFlag[];

  constructor(
    def: DescriptorDefinition,
    /** The characteristic it belongs to. */
    readonly characteristic: LocalCharacteristic,
  ) {
    super(def);
    this.flags = checkDescriptorFlags(def.flags, this.uuid);
  }

  /** @internal */
  objectSpec(): ObjectSpec {
    return {
      [DESC_IFACE]: {
        properties: {
          UUID: { signature: 's', get: () => this.uuid },
          Characteristic: { signature: 'o', get: () => this.characteristic.path },
          Flags: { signature: 'as', get: () => [...this.flags] },
          ...this.handleProps(),
        },
        methods: this.valueMethods(),
      },
    };
  }

  /** @internal */
  attach(host: AttributeHost, path: string): void {
    this.host = host;
    this.path = path;
  }
}

/** Options of LocalCharacteristic.notify(). */
export interface NotifyOptions {
  /** For indications: wait for a client's confirmation this long (ms). Default 30000. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** A characteristic the peripheral serves: notify() sends values, 'write' events and writes() report writes. */
export class LocalCharacteristic extends Attribute<CharacteristicEvents> {
  /** Its flags as registered. */
  readonly flags: readonly CharacteristicFlag[];
  /** Its descriptors (BlueZ adds the CCCD itself). */
  readonly descriptors: LocalDescriptor[];
  /** Notifications may go over BlueZ's AcquireNotify socket (needs the native addon). */
  readonly fastNotify: boolean;
  /** Writes without response may arrive over BlueZ's AcquireWrite socket (needs the native addon). */
  readonly fastWrite: boolean;
  private notifySocket: PacketSocket | undefined;
  private writeSocket: PacketSocket | undefined;
  private notifying = false;
  private subscriber: RemoteDevice | undefined;
  private pacer: NotifyPacer | undefined;

  constructor(
    def: CharacteristicDefinition,
    /** The service it belongs to. */
    readonly service: LocalService,
  ) {
    super(def);
    this.flags = checkCharacteristicFlags(def.flags, this.uuid);
    this.descriptors = (def.descriptors ?? []).map((d) => new LocalDescriptor(d, this));
    const canNotify = this.flags.some((f) => f.endsWith('notify') || f.endsWith('indicate'));
    this.fastNotify = canNotify && (def.fastNotify ?? true) && nativeAvailable();
    this.fastWrite = def.fastWrite === true && nativeAvailable();
  }

  /** True while at least one client has notifications or indications enabled. */
  get isNotifying(): boolean {
    return this.notifying;
  }

  /** True while values travel over BlueZ's AcquireNotify socket. */
  get isAcquired(): boolean {
    return this.notifySocket !== undefined && !this.notifySocket.isClosed;
  }

  /** Its descriptor with this UUID, if any. */
  descriptor(uuid: string | number): LocalDescriptor | undefined {
    const u = normalizeUuid(uuid);
    return this.descriptors.find((d) => d.uuid === u);
  }

  /**
   * Sends `value` to every subscribed client (as a notification or an indication, whichever
   * each client enabled) and stores it as the characteristic's value. Resolves once the value
   * is queued for bluetoothd, in call order, without a D-Bus round trip per value: now and then
   * a call also waits for bluetoothd to catch up (NotifyPacer), so awaiting each call keeps at
   * most NOTIFY_WINDOW (32) values ahead of bluetoothd instead of flooding the link. Resolving
   * does not mean a client got the value: indicate() waits for a confirmation, flush() for
   * bluetoothd to have handled everything sent.
   * A closed bus rejects at once; a lost bluetoothd rejects within the window, then on every
   * call until it answers again.
   */
  async notify(value: BytesLike): Promise<void> {
    if (await this.send(value)) await this.pacer?.sent();
  }

  /**
   * Sends `value` like notify(), then waits for the next indication confirmation from a client.
   * Also waits for bluetoothd to take the value, so a lost bluetoothd fails with its typed error
   * rather than as a confirmation timeout.
   */
  async indicate(value: BytesLike, opts: NotifyOptions = {}): Promise<void> {
    const confirmed = new Promise<void>((resolve) => this.once('confirm', resolve));
    if (!(await this.send(value))) return;
    // The confirmation may come while this round trip is out: `confirmed` already listens.
    await this.pacer?.next();
    await withTimeout(confirmed, opts.timeoutMs ?? 30_000, 'indication confirmation', opts.signal);
  }

  /** Resolves once bluetoothd has handled every value sent so far (e.g. before closing). */
  async flush(): Promise<void> {
    await this.pacer?.next();
  }

  /** Stores `value` and hands it to bluetoothd; false when not registered yet. */
  private async send(value: BytesLike): Promise<boolean> {
    const buf = checkValue(value, this.uuid);
    this.stored = buf;
    const host = this.host;
    if (!host) return false;
    const sock = this.notifySocket;
    // Socket writes in one tick leave together, in order; they wait only when the socket is full.
    if (sock && !sock.isClosed) await sock.write(buf);
    else host.tree.emitPropertiesChanged(this.path, CHAR_IFACE, { Value: buf });
    return true;
  }

  private subscribed(via: 'socket' | 'dbus', device: RemoteDevice | undefined): void {
    this.notifying = true;
    this.subscriber = device;
    const ev: SubscriptionEvent = { characteristic: this, via };
    if (device) ev.device = device;
    this.emit('subscribe', ev);
    this.service.emitSubscription('subscribe', ev);
  }

  private unsubscribed(via: 'socket' | 'dbus'): void {
    if (!this.notifying) return;
    this.notifying = false;
    const ev: SubscriptionEvent = { characteristic: this, via };
    if (this.subscriber) ev.device = this.subscriber;
    this.subscriber = undefined;
    this.emit('unsubscribe', ev);
    this.service.emitSubscription('unsubscribe', ev);
  }

  private acquireNotify(options: unknown): Reply {
    const req = parseReadOptions(options);
    const { sock, reply } = this.offerSocket(req, (err) =>
      this.host?.reportHandlerError(err, `notify socket ${this.uuid}`),
    );
    this.notifySocket = sock;
    // BlueZ closes its end when the last subscriber leaves or the link drops.
    sock.on('close', () => {
      if (this.notifySocket === sock) this.notifySocket = undefined;
      this.unsubscribed('socket');
    });
    this.subscribed('socket', req.device);
    return reply;
  }

  private acquireWrite(options: unknown): Reply {
    const req = parseReadOptions(options);
    // A failed write socket closes and BlueZ goes back to WriteValue calls; say why it failed.
    const { sock, reply } = this.offerSocket(req, (err) =>
      this.host?.reportHandlerError(err, `write socket ${this.uuid}`),
    );
    this.writeSocket?.close();
    this.writeSocket = sock;
    sock.on('packets', (bufs) => {
      for (const b of bufs) {
        const w: WriteRequest = { value: b, offset: 0, prepareAuthorize: false, type: 'command' };
        if (req.device) w.device = req.device;
        if (req.mtu !== undefined) w.mtu = req.mtu;
        this.stored = b;
        if (this.onWriteHandler) {
          Promise.resolve()
            .then(() => this.onWriteHandler?.(w))
            .catch((err: unknown) => this.host?.reportHandlerError(err, `write ${this.uuid}`));
        }
        this.emitWrite(w);
      }
    });
    sock.on('close', () => {
      if (this.writeSocket === sock) this.writeSocket = undefined;
    });
    return reply;
  }

  /** A socket pair for an Acquire* call: our end, and the reply that hands bluetoothd theirs. */
  private offerSocket(
    req: ReadRequest,
    onError?: (err: Error) => void,
  ): { sock: PacketSocket; reply: Reply } {
    const [ours, theirs] = seqpacketPair();
    const sock = acquiredSocket(ours, onError ? { onError } : {});
    const reply = new Reply([theirs, req.mtu ?? ATT_DEFAULT_MTU], () =>
      this.closeAfterDelivery(theirs),
    );
    return { sock, reply };
  }

  /** Our copy of the fd we passed may close only once the reply has left the process. */
  private closeAfterDelivery(fd: number): void {
    const host = this.host;
    const close = (): void => closeFd(fd);
    if (!host) return close();
    host.roundTrip().then(close, close);
  }

  /** @internal */
  attach(host: AttributeHost, path: string): void {
    this.host = host;
    this.path = path;
    this.pacer = new NotifyPacer(() => host.roundTrip());
    this.descriptors.forEach((d, i) => d.attach(host, `${path}/desc${i}`));
  }

  /** @internal Closes sockets; the application is going away. */
  detach(): void {
    this.notifySocket?.close();
    this.writeSocket?.close();
    this.notifySocket = undefined;
    this.writeSocket = undefined;
    this.unsubscribed('dbus');
  }

  /** @internal */
  objectSpec(): ObjectSpec {
    const properties: NonNullable<ObjectSpec[string]['properties']> = {
      UUID: { signature: 's', get: () => this.uuid },
      Service: { signature: 'o', get: () => this.service.path },
      Flags: { signature: 'as', get: () => [...this.flags] },
      Value: { signature: 'ay', get: () => this.stored },
      Notifying: { signature: 'b', get: () => this.notifying },
      ...this.handleProps(),
    };
    const methods: NonNullable<ObjectSpec[string]['methods']> = {
      ...this.valueMethods(),
      StartNotify: {
        inSignature: '',
        outSignature: '',
        handler: () => this.subscribed('dbus', this.host?.soleDevice()),
      },
      StopNotify: {
        inSignature: '',
        outSignature: '',
        handler: () => this.unsubscribed('dbus'),
      },
      Confirm: {
        inSignature: '',
        outSignature: '',
        handler: () => {
          this.emit('confirm');
        },
      },
    };
    if (this.fastNotify) {
      properties.NotifyAcquired = { signature: 'b', get: () => this.isAcquired };
      methods.AcquireNotify = {
        inSignature: 'a{sv}',
        outSignature: 'hq',
        handler: ([opts]) => this.acquireNotify(opts),
      };
    }
    if (this.fastWrite) {
      properties.WriteAcquired = { signature: 'b', get: () => this.writeSocket !== undefined };
      methods.AcquireWrite = {
        inSignature: 'a{sv}',
        outSignature: 'hq',
        handler: ([opts]) => this.acquireWrite(opts),
      };
    }
    return { [CHAR_IFACE]: { properties, methods } };
  }
}

/** A service the peripheral serves, as registered: from a Service class or a definition object. */
export class LocalService extends EventEmitter<{
  subscribe: [ev: SubscriptionEvent];
  unsubscribe: [ev: SubscriptionEvent];
}> {
  /** The UUID, normalized to 128-bit lower case. */
  readonly uuid: string;
  /** False for a secondary service. */
  readonly primary: boolean;
  /** Its characteristics, in the order given. */
  readonly characteristics: LocalCharacteristic[];
  /** Services it includes. */
  readonly includes: LocalService[] = [];
  /** The handle BlueZ assigned (0 until registered, unless one was asked for). */
  handle: number;
  /** Its D-Bus object path once added to an application. */
  path = '';

  /** @internal Build through GattApplication.addService. */
  constructor(
    def: ServiceDefinition,
    /** What it was made from: the Service instance or the definition object. */
    readonly source: unknown,
  ) {
    super();
    this.uuid = normalizeUuid(def.uuid);
    this.primary = def.primary ?? true;
    this.handle = checkHandle(def.handle, this.uuid);
    this.characteristics = (def.characteristics ?? []).map((c) => new LocalCharacteristic(c, this));
  }

  /** The first characteristic with this UUID. */
  characteristic(uuid: string | number): LocalCharacteristic | undefined {
    const u = normalizeUuid(uuid);
    return this.characteristics.find((c) => c.uuid === u);
  }

  /** @internal */
  emitSubscription(kind: 'subscribe' | 'unsubscribe', ev: SubscriptionEvent): void {
    this.emit(kind, ev);
  }

  /** @internal */
  attach(host: AttributeHost, path: string): void {
    this.path = path;
    this.characteristics.forEach((c, i) => c.attach(host, `${path}/char${i}`));
  }

  /** @internal */
  detach(): void {
    for (const c of this.characteristics) c.detach();
  }

  /** @internal Every object this service exports, parents first. */
  objects(): [string, ObjectSpec][] {
    const out: [string, ObjectSpec][] = [
      [
        this.path,
        {
          [SERVICE_IFACE]: {
            properties: {
              UUID: { signature: 's', get: () => this.uuid },
              Primary: { signature: 'b', get: () => this.primary },
              Includes: { signature: 'ao', get: () => this.includes.map((s) => s.path) },
              Handle: {
                signature: 'q',
                get: () => this.handle,
                set: (v) => {
                  this.handle = Number(v);
                },
              },
            },
          },
        },
      ],
    ];
    for (const c of this.characteristics) {
      out.push([c.path, c.objectSpec()]);
      for (const d of c.descriptors) out.push([d.path, d.objectSpec()]);
    }
    return out;
  }
}
