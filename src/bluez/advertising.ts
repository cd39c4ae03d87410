import { EventEmitter } from 'node:events';
import {
  BusyError,
  InvalidArgumentError,
  normalizeUuid,
  PermissionError,
  toBuffer,
  type BytesLike,
} from '../core/index.js';
import type { ObjectTree, PropertySpec } from '../dbus/client/object-tree.js';
import { Variant } from '../dbus/client/variant.js';
import { callMethod, getProperty, type PeripheralBus } from './calls.js';
import { IFACE } from './names.js';

const AD_IFACE = IFACE.advertisement;
const MANAGER_IFACE = IFACE.advertisingManager;

/** Fields BlueZ fills into the advertising data from the adapter's own settings. */
export type AdvertisingInclude = 'tx-power' | 'appearance' | 'local-name';

/**
 * What to advertise, as Peripheral.advertise() takes it; BlueZ builds the packet. Intervals
 * are in ms, timeouts and durations in seconds. Checked before anything is registered:
 * out-of-range numbers, unknown includes, localName together with include 'local-name', and a
 * discoverable broadcast throw InvalidArgumentError.
 */
export interface AdvertisementOptions {
  /** 'peripheral' (connectable, the default) or 'broadcast'. */
  type?: 'peripheral' | 'broadcast';
  /** The name to advertise (non-empty); exclusive with include 'local-name'. */
  localName?: string;
  /** Service UUIDs to list, 16-bit numbers or UUID strings. */
  serviceUuids?: (string | number)[];
  /** Service UUIDs the peripheral asks centrals to offer. */
  solicitUuids?: (string | number)[];
  /** Company identifier -> data (without the identifier). */
  manufacturerData?: ReadonlyMap<number, BytesLike> | Record<number, BytesLike>;
  /** Service UUID -> data. */
  serviceData?: ReadonlyMap<string | number, BytesLike> | Record<string, BytesLike>;
  /** GAP Appearance value, 0..0xffff (e.g. 0x0341 heart rate belt). */
  appearance?: number;
  /** Fields BlueZ fills in itself; 'tx-power' adds the TX Power Level AD. */
  includes?: AdvertisingInclude[];
  /** Requested TX power (dBm, -127..20); honoured only if BlueZ reports CanSetTxPower. */
  txPower?: number;
  /** Overrides the adapter's Discoverable for this advertisement (peripheral type only). */
  discoverable?: boolean;
  /** Seconds the advertisement stays discoverable, 0..65535 (0: no limit). */
  discoverableTimeout?: number;
  /**
   * Seconds until BlueZ removes the advertisement (then 'release' fires). 0 or absent means
   * forever: the advertisement lasts until stop() or close().
   */
  timeout?: number;
  /** Seconds this advertisement gets in rotation when several are active (BlueZ default 2). */
  duration?: number;
  /** Advertising interval bounds in ms (20..10485760). */
  minInterval?: number;
  /** Upper bound of the advertising interval in ms (20..10485760, not below minInterval). */
  maxInterval?: number;
}

function entries<K>(
  m: ReadonlyMap<K, BytesLike> | Record<string, BytesLike> | undefined,
): [K | string, BytesLike][] {
  if (!m) return [];
  return m instanceof Map ? [...m.entries()] : Object.entries(m);
}

function checkInt(v: unknown, min: number, max: number, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new InvalidArgumentError(`${what} must be an integer ${min}..${max}, got ${String(v)}`);
  }
  return v;
}

/** Validates options and builds the LEAdvertisement1 properties (signature -> value). */
export function advertisementProperties(o: AdvertisementOptions): Record<string, PropertySpec> {
  if (typeof o !== 'object' || o === null)
    throw new InvalidArgumentError('options must be an object');
  const type = o.type ?? 'peripheral';
  if (type !== 'peripheral' && type !== 'broadcast') {
    throw new InvalidArgumentError(`type must be 'peripheral' or 'broadcast'`);
  }
  const props: Record<string, PropertySpec> = {};
  const put = (name: string, signature: string, value: unknown): void => {
    props[name] = { signature, get: () => value };
  };
  put('Type', 's', type);
  if (o.localName !== undefined) {
    if (typeof o.localName !== 'string' || o.localName.length === 0) {
      throw new InvalidArgumentError('localName must be a non-empty string');
    }
    put('LocalName', 's', o.localName);
  }
  if (o.serviceUuids)
    put(
      'ServiceUUIDs',
      'as',
      o.serviceUuids.map((u) => normalizeUuid(u)),
    );
  if (o.solicitUuids)
    put(
      'SolicitUUIDs',
      'as',
      o.solicitUuids.map((u) => normalizeUuid(u)),
    );
  const mfr = entries<number>(o.manufacturerData);
  for (const [k] of mfr) checkInt(Number(k), 0, 0xffff, 'manufacturer id');
  if (mfr.length > 0) {
    // a{qv}: the codec gives the object's string keys the key type of the signature.
    const dict: Record<number, unknown> = {};
    for (const [k, v] of mfr) dict[Number(k)] = new Variant('ay', toBuffer(v));
    put('ManufacturerData', 'a{qv}', dict);
  }
  const sd = entries<string | number>(o.serviceData);
  if (sd.length > 0) {
    const dict: Record<string, unknown> = {};
    for (const [k, v] of sd) dict[normalizeUuid(k)] = new Variant('ay', toBuffer(v));
    put('ServiceData', 'a{sv}', dict);
  }
  if (o.appearance !== undefined)
    put('Appearance', 'q', checkInt(o.appearance, 0, 0xffff, 'appearance'));
  if (o.includes) {
    for (const i of o.includes) {
      if (!['tx-power', 'appearance', 'local-name'].includes(i)) {
        throw new InvalidArgumentError(`unknown include ${JSON.stringify(i)}`);
      }
    }
    if (o.includes.includes('local-name') && o.localName !== undefined) {
      throw new InvalidArgumentError(`give localName or include 'local-name', not both`);
    }
    put('Includes', 'as', [...new Set(o.includes)]);
  }
  if (o.txPower !== undefined) put('TxPower', 'n', checkInt(o.txPower, -127, 20, 'txPower'));
  if (o.discoverable !== undefined) {
    if (type === 'broadcast') throw new InvalidArgumentError('a broadcast cannot be discoverable');
    put('Discoverable', 'b', o.discoverable === true);
  }
  if (o.discoverableTimeout !== undefined) {
    put(
      'DiscoverableTimeout',
      'q',
      checkInt(o.discoverableTimeout, 0, 0xffff, 'discoverableTimeout'),
    );
  }
  const timeout = o.timeout === undefined ? 0 : checkInt(o.timeout, 0, 0xffff, 'timeout');
  if (timeout > 0) put('Timeout', 'q', timeout);
  if (o.duration !== undefined) put('Duration', 'q', checkInt(o.duration, 1, 0xffff, 'duration'));
  const min =
    o.minInterval === undefined
      ? undefined
      : checkInt(o.minInterval, 20, 10_485_760, 'minInterval');
  const max =
    o.maxInterval === undefined
      ? undefined
      : checkInt(o.maxInterval, 20, 10_485_760, 'maxInterval');
  if (min !== undefined && max !== undefined && min > max) {
    throw new InvalidArgumentError('minInterval must not exceed maxInterval');
  }
  if (min !== undefined) put('MinInterval', 'u', min);
  if (max !== undefined) put('MaxInterval', 'u', max);
  return props;
}

/**
 * One advertisement registered with BlueZ's LEAdvertisingManager1. BlueZ reads the data once,
 * at registration: to change it, stop and advertise again.
 */
export class Advertisement extends EventEmitter<{ release: [] }> {
  private active = false;

  /** @internal Made by Peripheral.advertise. */
  constructor(
    private readonly bus: PeripheralBus,
    private readonly tree: ObjectTree,
    /** The adapter it is registered on, e.g. '/org/bluez/hci0'. */
    readonly adapterPath: string,
    /** The D-Bus object path blekit exports it at. */
    readonly path: string,
    /** The options it was made from (BlueZ read them once, at registration). */
    readonly options: AdvertisementOptions,
  ) {
    super();
    advertisementProperties(options);
  }

  /**
   * True from registration until stop(), or until BlueZ releases it (the 'release' event,
   * e.g. when its `timeout` runs out).
   */
  get isActive(): boolean {
    return this.active;
  }

  /** @internal */
  async start(): Promise<void> {
    const props = advertisementProperties(this.options);
    this.tree.export(this.path, {
      [AD_IFACE]: {
        properties: props,
        methods: {
          Release: {
            inSignature: '',
            outSignature: '',
            noReply: true,
            handler: () => this.released(),
          },
        },
      },
    });
    try {
      await callMethod(this.bus, {
        path: this.adapterPath,
        interface: MANAGER_IFACE,
        member: 'RegisterAdvertisement',
        signature: 'oa{sv}',
        body: [this.path, {}],
      });
    } catch (err) {
      this.tree.unexport(this.path);
      if (err instanceof PermissionError) throw await this.noSlotError(err);
      throw err;
    }
    this.active = true;
  }

  private async noSlotError(cause: Error): Promise<BusyError> {
    const read = (n: string): Promise<unknown> =>
      getProperty(this.bus, this.adapterPath, MANAGER_IFACE, n).catch(() => '?');
    const [supported, active] = await Promise.all([
      read('SupportedInstances'),
      read('ActiveInstances'),
    ]);
    return new BusyError(
      `no free advertising slot on ${this.adapterPath} (${String(active)} active, ${String(supported)} free)`,
      { cause },
    );
  }

  /**
   * @internal bluetoothd went away, and this registration with it (no Release comes); start()
   * registers it again. True when it was active.
   */
  bluezGone(): boolean {
    const was = this.active;
    this.active = false;
    return was;
  }

  private released(): void {
    if (!this.active) return;
    this.active = false;
    this.tree.unexport(this.path);
    this.emit('release');
  }

  /** Unregisters the advertisement (idempotent). */
  async stop(): Promise<void> {
    if (!this.active) return;
    this.active = false;
    try {
      await callMethod(this.bus, {
        path: this.adapterPath,
        interface: MANAGER_IFACE,
        member: 'UnregisterAdvertisement',
        signature: 'o',
        body: [this.path],
      });
    } finally {
      this.tree.unexport(this.path);
    }
  }
}
