// Adapter1 for both roles: what an adapter is (its info from the object tree), which one a
// selector names, removing a device, the settings the peripheral's Adapter changes, and the
// central's discovery and connect-by-address.
import {
  InvalidArgumentError,
  isAddress,
  normalizeAddress,
  NotFoundError,
  type AddressType,
} from '../core/index.js';
import type { AdapterInfo as CentralAdapterInfo } from '../central/backend.js';
import {
  bluezCall,
  getManagedObjects,
  getProperty,
  openSystemBus,
  setProperty,
  type PeripheralBus,
} from './calls.js';
import { IFACE, type Adapter1Props, type BluezCall, type Props } from './names.js';
import { Variant, type BluezBus } from './session.js';

/** An adapter as bluetoothd describes it: the central's AdapterInfo and more. */
export interface AdapterInfo extends CentralAdapterInfo {
  /** '/org/bluez/hci0' */
  path: string;
  /** 'public' or 'random', when bluetoothd reports it. */
  addressType?: string;
  /** The name the adapter shows to others (setAlias changes it). */
  alias: string;
  /** Whether the controller is powered on. */
  powered: boolean;
  /** Whether the adapter is discoverable (BlueZ's Discoverable). */
  discoverable: boolean;
  /** Seconds discoverable stays on; 0 means until turned off. */
  discoverableTimeout: number;
  /** Whether remote devices may pair. */
  pairable: boolean;
  /** Whether the adapter offers LE advertising and GATT server registration. */
  canAdvertise: boolean;
  /** Whether BlueZ offers GATT application registration on it (GattManager1). */
  canServeGatt: boolean;
}

/** The adapter at `path` from its interfaces (GetManagedObjects or the object mirror). */
export function adapterInfo(path: string, ifaces: Record<string, Props>): AdapterInfo {
  const a: Adapter1Props = ifaces[IFACE.adapter] ?? {};
  const info: AdapterInfo = {
    name: path.split('/').pop() as string,
    path,
    address: String(a.Address ?? ''),
    alias: String(a.Alias ?? ''),
    powered: a.Powered === true,
    discoverable: a.Discoverable === true,
    discoverableTimeout: Number(a.DiscoverableTimeout ?? 0),
    pairable: a.Pairable === true,
    canAdvertise: IFACE.advertisingManager in ifaces,
    canServeGatt: IFACE.gattManager in ifaces,
  };
  if (typeof a.AddressType === 'string') info.addressType = a.AddressType;
  return info;
}

/** Every adapter BlueZ knows, sorted by name. Opens (and closes) a bus unless given one. */
export async function listAdapters(opts: { bus?: PeripheralBus } = {}): Promise<AdapterInfo[]> {
  const bus = opts.bus ?? (await openSystemBus());
  try {
    const objs = await getManagedObjects(bus);
    return Object.entries(objs)
      .filter(([, ifaces]) => IFACE.adapter in ifaces)
      .map(([path, ifaces]) => adapterInfo(path, ifaces))
      .sort(byName);
  } finally {
    if (!opts.bus) bus.close();
  }
}

/** Adapters in hci order. */
export function byName(a: AdapterInfo, b: AdapterInfo): number {
  return a.name.localeCompare(b.name, 'en', { numeric: true });
}

/** 'hci1', '/org/bluez/hci1', 1 or an address; undefined picks the first adapter. */
export type AdapterSelector = string | number | undefined;

export function checkAdapterSelector(sel: AdapterSelector): void {
  if (sel === undefined) return;
  if (typeof sel === 'number') {
    if (Number.isInteger(sel) && sel >= 0) return;
    throw new InvalidArgumentError(`adapter index must be a whole number, got ${sel}`);
  }
  if (typeof sel !== 'string' || !(/^(\/org\/bluez\/)?hci\d+$/.test(sel) || isAddress(sel))) {
    throw new InvalidArgumentError(
      `adapter must be 'hciN', '/org/bluez/hciN' or an address, got ${JSON.stringify(sel)}`,
    );
  }
}

export function pickAdapter(list: AdapterInfo[], sel: AdapterSelector): AdapterInfo {
  checkAdapterSelector(sel);
  let found: AdapterInfo | undefined;
  if (sel === undefined) found = list[0];
  else if (typeof sel === 'number') found = list.find((a) => a.name === `hci${sel}`);
  else if (isAddress(sel)) {
    const addr = normalizeAddress(sel);
    found = list.find((a) => a.address.toUpperCase() === addr);
  } else {
    const name = String(sel).split('/').pop();
    found = list.find((a) => a.name === name);
  }
  if (!found) {
    const have = list.map((a) => `${a.name} (${a.address})`).join(', ') || 'none';
    throw new NotFoundError(`no adapter ${sel ?? ''} (have: ${have})`.replace('  ', ' '));
  }
  return found;
}

/** One adapter's settings over BlueZ's Adapter1 interface. */
export class Adapter {
  private constructor(
    /** The D-Bus connection this Adapter talks over (its own unless `open` was given one). */
    readonly bus: PeripheralBus,
    /** Kernel name, e.g. 'hci0'. */
    readonly name: string,
    /** BlueZ object path, e.g. '/org/bluez/hci0'. */
    readonly path: string,
    /** Public or static address 'AA:BB:CC:DD:EE:FF', as BlueZ reported it when opened. */
    readonly address: string,
    private readonly ownsBus: boolean,
  ) {}

  /**
   * Finds the adapter by name ('hci1'), object path, index (1) or address; the first one when
   * no selector. Opens a system-bus connection unless `opts.bus` is given; close() drops it.
   * @throws InvalidArgumentError for a malformed selector.
   * @throws NotFoundError when no adapter matches (the message lists those there are).
   * @throws BackendError when bluetoothd is not on the system bus.
   */
  static async open(
    selector?: AdapterSelector,
    opts: { bus?: PeripheralBus } = {},
  ): Promise<Adapter> {
    checkAdapterSelector(selector);
    const bus = opts.bus ?? (await openSystemBus());
    try {
      const info = pickAdapter(await listAdapters({ bus }), selector);
      return new Adapter(bus, info.name, info.path, info.address, !opts.bus);
    } catch (err) {
      if (!opts.bus) bus.close();
      throw err;
    }
  }

  /**
   * Reads the adapter's current state from bluetoothd (a fresh GetManagedObjects).
   * @throws NotFoundError when the adapter has gone (unplugged, or the controller removed).
   */
  async info(): Promise<AdapterInfo> {
    const all = await listAdapters({ bus: this.bus });
    return pickAdapter(all, this.name);
  }

  private set(name: string, sig: string, value: unknown): Promise<void> {
    return setProperty(this.bus, this.path, IFACE.adapter, name, sig, value);
  }

  /**
   * One Adapter1 property by its BlueZ name ('Powered', 'Discovering', ...), unwrapped from its
   * variant. For properties `info()` does not carry.
   * @throws NotFoundError when the adapter has gone; BackendError for a name Adapter1 lacks.
   */
  async get(name: string): Promise<unknown> {
    return getProperty(this.bus, this.path, IFACE.adapter, name);
  }

  /**
   * Powers the controller on or off. Powering off drops every connection and advertisement.
   * @throws InvalidArgumentError unless `on` is a boolean; PermissionError when D-Bus policy
   * forbids it; BackendError when bluetoothd refuses (e.g. rfkill blocks the radio).
   */
  setPowered(on: boolean): Promise<void> {
    return this.set('Powered', 'b', checkBool(on, 'powered'));
  }

  /**
   * Sets the name the adapter advertises and shows in scans (BlueZ's Alias; stored across
   * restarts). An empty string restores the system name.
   * @throws InvalidArgumentError for more than 248 UTF-8 bytes (the GAP name limit).
   */
  setAlias(alias: string): Promise<void> {
    if (typeof alias !== 'string' || Buffer.byteLength(alias) > 248) {
      throw new InvalidArgumentError('alias must be a string of at most 248 UTF-8 bytes');
    }
    return this.set('Alias', 's', alias);
  }

  /** timeoutSec 0 = stay discoverable until turned off (BlueZ's meaning). */
  async setDiscoverable(on: boolean, timeoutSec?: number): Promise<void> {
    checkBool(on, 'discoverable');
    if (timeoutSec !== undefined) {
      await this.set('DiscoverableTimeout', 'u', checkU32(timeoutSec, 'discoverable timeout'));
    }
    await this.set('Discoverable', 'b', on);
  }

  /**
   * Whether remote devices may pair. `timeoutSec` (seconds, 0 = no limit, BlueZ's meaning)
   * turns pairing off again after that long; left as it was when omitted.
   * @throws InvalidArgumentError unless `on` is a boolean and `timeoutSec` a whole number of
   * seconds that fits 32 bits.
   */
  async setPairable(on: boolean, timeoutSec?: number): Promise<void> {
    checkBool(on, 'pairable');
    if (timeoutSec !== undefined) {
      await this.set('PairableTimeout', 'u', checkU32(timeoutSec, 'pairable timeout'));
    }
    await this.set('Pairable', 'b', on);
  }

  /** Removes a remote device (and its bond) from the adapter. */
  async removeDevice(address: string): Promise<void> {
    const path = devicePath(this.path, normalizeAddress(address));
    await removeDevice(bluezCall(this.bus), this.path, path);
  }

  /** Disconnects the bus when this Adapter opened it. */
  close(): void {
    if (this.ownsBus) this.bus.close();
  }
}

/** '/org/bluez/hci0' + 'AA:BB:..' -> '/org/bluez/hci0/dev_AA_BB_..'. */
export function devicePath(adapterPath: string, address: string): string {
  return `${adapterPath}/dev_${address.replace(/:/g, '_')}`;
}

/** Adapter1.RemoveDevice: drops the device object, its bond and its cached database. */
export async function removeDevice(call: BluezCall, adapterPath: string, path: string) {
  await call(adapterPath, IFACE.adapter, 'RemoveDevice', 'o', [path]);
}

function checkBool(v: unknown, what: string): boolean {
  if (typeof v !== 'boolean') throw new InvalidArgumentError(`${what} must be a boolean`);
  return v;
}

function checkU32(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff) {
    throw new InvalidArgumentError(`${what} must be an integer number of seconds`);
  }
  return v;
}

/** What the central's discovery keeps: LE only, optionally by service or signal strength. */
export interface DiscoveryFilter {
  serviceUuids?: readonly string[];
  minRssi?: number;
}

/**
 * SetDiscoveryFilter, then StartDiscovery. DuplicateData asks for every report, not only
 * changes: with a filter set BlueZ then also emits RSSI on each one.
 */
export async function startDiscovery(
  bus: BluezBus,
  adapterPath: string,
  f: DiscoveryFilter,
): Promise<void> {
  const filter: Record<string, unknown> = {
    Transport: new Variant('s', 'le'),
    DuplicateData: new Variant('b', true),
  };
  if (f.serviceUuids?.length) filter.UUIDs = new Variant('as', [...f.serviceUuids]);
  if (f.minRssi !== undefined) filter.RSSI = new Variant('n', f.minRssi);
  await bus.call(adapterPath, IFACE.adapter, 'SetDiscoveryFilter', 'a{sv}', [filter]);
  await bus.call(adapterPath, IFACE.adapter, 'StartDiscovery');
}

/**
 * StopDiscovery and an empty filter. Best effort: a scan that already ended (adapter powered
 * off, bluetoothd restarted) has nothing left to stop.
 */
export async function stopDiscovery(bus: BluezBus, adapterPath: string): Promise<void> {
  await bus.call(adapterPath, IFACE.adapter, 'StopDiscovery').catch(() => undefined);
  await bus
    .call(adapterPath, IFACE.adapter, 'SetDiscoveryFilter', 'a{sv}', [{}])
    .catch(() => undefined);
}

/**
 * ConnectDevice: creates the device object for an address not seen in a scan and connects.
 * Experimental in BlueZ 5.66 (bluetoothd -E); without it this rejects with NotSupportedError
 * or BackendError and the caller scans instead.
 */
export async function connectByAddress(
  bus: BluezBus,
  adapterPath: string,
  address: string,
  addressType?: AddressType,
): Promise<void> {
  const params: Record<string, unknown> = { Address: new Variant('s', address) };
  if (addressType) params.AddressType = new Variant('s', addressType);
  await bus.call(adapterPath, IFACE.adapter, 'ConnectDevice', 'a{sv}', [params]);
}
