import {
  BleError,
  delay,
  normalizeUuid,
  NotConnectedError,
  NotFoundError,
  NotSupportedError,
  TimeoutError,
  withTimeout,
  type AddressType,
} from '../../core/index.js';
import type {
  BackendConnection,
  BackendSubscribeOptions,
  BackendWriteOptions,
  ConnectionEvents,
} from '../../central/backend.js';
import type {
  CharacteristicInfo,
  DisconnectReason,
  SecurityLevel,
  ServiceInfo,
} from '../../central/types.js';
import { PacketSocket, nativeAvailable } from '../../native/seqpacket.js';
import { Variant, type BluezBus } from '../../bluez/session.js';
import { OneAtATime } from './one-at-a-time.js';
import { fetchObjects, serviceNodes, type ObjectMirror } from '../../bluez/object-mirror.js';
import { IFACE, type Props } from '../../bluez/names.js';
import { buildDeviceGatt, type DeviceGatt } from '../../bluez/remote-objects.js';

export interface DbusConnectionOptions {
  /** Default true: see DbusBackendOptions.acquire. */
  acquire?: boolean;
}

/** ATT_MTU before (or without) an exchange. */
const DEFAULT_MTU = 23;
/** Bursts of Service Changed object churn are folded into one event. */
const SERVICES_CHANGED_SETTLE_MS = 300;

interface Sub {
  path: string;
  stop: () => Promise<void>;
  /** The AcquireNotify fd, closed when bluetoothd drops the session. */
  socket?: PacketSocket;
  /** bluetoothd removed the characteristic object, and with it our session. */
  removed?: boolean;
}

/** Which transport each operation took (AcquireNotify/AcquireWrite fds or D-Bus calls). */
export interface DbusPathStats {
  /** Subscriptions that got an AcquireNotify fd. */
  acquiredNotify: number;
  /** Subscriptions that went through StartNotify (values as D-Bus signals). */
  startNotify: number;
  /** Writes without response sent over an AcquireWrite fd. */
  acquiredWrites: number;
  /** Writes sent as WriteValue calls. */
  dbusWrites: number;
  /** Discoveries served by the object mirror, and those that asked GetManagedObjects. */
  mirrorDiscoveries: number;
  /** Discoveries that had to call GetManagedObjects. */
  fetchedDiscoveries: number;
  /** Why the last Acquire* attempt fell back to D-Bus, if one did. */
  lastFallback?: string;
  /**
   * Whether write commands may travel on several ATT bearers (the peer offers EATT, or that
   * could not be told), once a write without response asked.
   */
  eatt?: boolean;
}

/** How often to ask for ServicesResolved while its signal has not come. */
const RESOLVED_POLL_MS = 1_000;
/** How long an Acquire* call may take before the D-Bus path is used instead. */
const ACQUIRE_TIMEOUT_MS = 10_000;
/** How long bluetoothd may take to notice a closed Acquire* fd. */
const RELEASE_TIMEOUT_MS = 3_000;
/** The GATT service and its Server Supported Features characteristic (bit 0: EATT). */
const GATT_SERVICE = normalizeUuid('1801');
const SERVER_FEATURES = normalizeUuid('2b3a');

/** One LE link to a device through bluetoothd. */
export class DbusConnection implements BackendConnection {
  /**
   * Counts of which transport each operation took, updated live: whether AcquireNotify /
   * AcquireWrite fds are in use or every value goes over D-Bus, and why the last fallback was.
   */
  readonly stats: DbusPathStats = {
    acquiredNotify: 0,
    startNotify: 0,
    acquiredWrites: 0,
    dbusWrites: 0,
    mirrorDiscoveries: 0,
    fetchedDiscoveries: 0,
  };
  readonly address: string;
  readonly addressType: AddressType;
  private isConnected: boolean;
  private servicesResolved: boolean;
  private gatt: DeviceGatt | undefined;
  private mtuValue = DEFAULT_MTU;
  private readonly subs = new Map<number, Sub>();
  private readonly writers = new Map<number, Promise<PacketSocket | undefined>>();
  /** WriteValue calls, one at a time per characteristic or descriptor. */
  private readonly calls = new OneAtATime();
  private readonly cleanups: (() => void)[] = [];
  private localDisconnect = false;
  private disposed = false;
  private resolvedOnce = false;
  private changeTimer: NodeJS.Timeout | undefined;
  private resolvedWaiters: (() => void)[] = [];
  /** Whether write commands to this peer stay on one ATT bearer; asked once per database. */
  private oneBearerCheck: Promise<boolean> | undefined;

  constructor(
    private readonly bus: BluezBus,
    private readonly mirror: ObjectMirror,
    /** The device's BlueZ object path, e.g. '/org/bluez/hci0/dev_AA_BB_CC_DD_EE_FF'. */
    readonly path: string,
    address: string,
    props: Props,
    private readonly events: ConnectionEvents,
    private readonly options: DbusConnectionOptions,
    private readonly onGone: (c: DbusConnection) => void,
  ) {
    this.address = address;
    this.addressType = props.AddressType === 'random' ? 'random' : 'public';
    this.isConnected = props.Connected === true;
    this.servicesResolved = props.ServicesResolved === true;
    this.cleanups.push(
      bus.onProperties(path, (iface, changed) => {
        if (iface === IFACE.device) this.onDeviceProps(changed);
      }),
      bus.onInterfaces((kind, p) => {
        if (kind === 'removed') {
          for (const sub of this.subs.values()) if (sub.path === p) sub.removed = true;
        }
        if (p.startsWith(this.path + '/') && this.resolvedOnce && this.servicesResolved) {
          this.scheduleServicesChanged(kind);
        }
      }),
    );
  }

  get connected(): boolean {
    return this.isConnected && !this.disposed;
  }

  /**
   * Resolves once Connected and ServicesResolved are both true. No GetAll up front: the state
   * comes from the device's properties given at construction (the backend's signal-fed copy) and
   * every PropertiesChanged since, which the bus delivers in order with the Connect reply. Only
   * while the signal is late does it ask bluetoothd, once a second.
   */
  async ready(ms: number, signal?: AbortSignal): Promise<void> {
    const end = Date.now() + ms;
    while (!(this.isConnected && this.servicesResolved)) {
      const left = end - Date.now();
      if (left <= 0) {
        throw new TimeoutError(`ServicesResolved on ${this.address} timed out after ${ms} ms`);
      }
      try {
        await withTimeout(
          new Promise<void>((r) => this.resolvedWaiters.push(r)),
          Math.min(left, RESOLVED_POLL_MS),
          `ServicesResolved on ${this.address}`,
          signal,
        );
      } catch (e) {
        if (!(e instanceof TimeoutError)) throw e;
        // bluetoothd 5.66 now and then resolves a link without a ServicesResolved signal (its
        // log says "Device ... is already connected"); the property itself is right, so ask.
        const props = await this.bus.getAll(this.path, IFACE.device).catch(() => undefined);
        if (props) this.onDeviceProps(props);
      }
    }
    this.resolvedOnce = true;
  }

  async disconnect(): Promise<void> {
    if (!this.isConnected) return;
    this.localDisconnect = true;
    await this.closeSubs();
    await this.bus.call(this.path, IFACE.device, 'Disconnect');
    if (this.isConnected) {
      await withTimeout(
        new Promise<void>((resolve) => {
          const off = this.bus.onProperties(this.path, (iface, changed) => {
            if (iface === IFACE.device && changed.Connected === false) {
              off();
              resolve();
            }
          });
        }),
        10_000,
        `disconnect from ${this.address}`,
      ).catch(() => undefined);
    }
  }

  async discover(refresh: boolean): Promise<ServiceInfo[]> {
    this.live();
    // bluetoothd 5.66 may announce ServicesResolved before the InterfacesAdded of some services
    // (seen in the lab: only 0x1801 was there). The services it has registered are listed by
    // Introspect (one short string, unlike GetManagedObjects); the mirror serves only if it
    // holds all of them. A service's characteristics are announced together with it.
    let fromMirror = !refresh && this.servicesResolved && this.mirror.hasServices(this.path);
    if (fromMirror) {
      const listed = await this.registeredServices().catch(() => undefined);
      fromMirror = listed !== undefined && this.mirror.hasAllServices(this.path, listed);
    }
    if (fromMirror) this.stats.mirrorDiscoveries++;
    else {
      await this.mirror.load(() => fetchObjects(this.bus));
      this.stats.fetchedDiscoveries++;
    }
    this.gatt = buildDeviceGatt(this.mirror.objects, this.path);
    if (this.gatt.mtu) this.mtuValue = this.gatt.mtu;
    return this.gatt.services;
  }

  async read(c: CharacteristicInfo): Promise<Buffer> {
    const path = await this.charPath(c);
    // Overlapping reads need no queue: bluetoothd answers them all from one ATT read.
    const [v] = await this.bus.call(path, IFACE.characteristic, 'ReadValue', 'a{sv}', [{}], 'gatt');
    return v as Buffer;
  }

  async write(
    c: CharacteristicInfo,
    value: Buffer,
    withResponse: boolean,
    options: BackendWriteOptions = {},
  ): Promise<void> {
    const path = await this.charPath(c);
    if (
      !withResponse &&
      c.properties.writeWithoutResponse &&
      this.useAcquire() &&
      (options.unordered === true || (await this.oneBearer()))
    ) {
      const sock = await this.writer(c.valueHandle, path);
      if (sock && value.length <= this.mtuValue - 3) {
        try {
          await sock.write(value);
          this.stats.acquiredWrites++;
          return;
        } catch (e) {
          if (e instanceof NotConnectedError) throw e;
          this.stats.lastFallback = `AcquireWrite fd: ${(e as Error).message}`;
          sock.close();
          this.writers.set(c.valueHandle, Promise.resolve(undefined));
        }
      }
    }
    // bluetoothd refuses WriteValue ("Write acquired") while our AcquireWrite fd is open.
    if (this.writers.has(c.valueHandle)) await this.releaseWriter(c.valueHandle, path);
    this.stats.dbusWrites++;
    const opts = { type: new Variant('s', withResponse ? 'request' : 'command') };
    // A command is answered once bluetoothd queued it, and one queued at a time leaves on the
    // first free bearer, which is the same one each time: this keeps commands in order. A
    // request is refused while another is pending.
    await this.calls.run(`${path} write`, () =>
      this.bus.call(path, IFACE.characteristic, 'WriteValue', 'aya{sv}', [value, opts], 'gatt'),
    );
  }

  async readDescriptor(handle: number): Promise<Buffer> {
    const path = await this.descPath(handle);
    const [v] = await this.bus.call(path, IFACE.descriptor, 'ReadValue', 'a{sv}', [{}], 'gatt');
    return v as Buffer;
  }

  async writeDescriptor(handle: number, value: Buffer): Promise<void> {
    const path = await this.descPath(handle);
    await this.calls.run(`${path} write`, () =>
      this.bus.call(path, IFACE.descriptor, 'WriteValue', 'aya{sv}', [value, {}], 'gatt'),
    );
  }

  async subscribe(
    c: CharacteristicInfo,
    options: BackendSubscribeOptions,
    onValue: (value: Buffer) => void,
  ): Promise<void> {
    const path = await this.charPath(c);
    await this.unsubscribe(c);
    const acquire =
      !options.forceStartNotify && !options.indicate && c.properties.notify && this.useAcquire();
    if (acquire) {
      try {
        await this.acquireNotify(c, path, onValue);
        return;
      } catch (e) {
        // Falls back to StartNotify (e.g. the characteristic is already notifying via D-Bus).
        if (!(e instanceof BleError) || e instanceof NotConnectedError) throw e;
        this.stats.lastFallback = `AcquireNotify: ${e.message}`;
      }
    }
    const off = this.bus.onProperties(path, (iface, changed) => {
      if (iface !== IFACE.characteristic) return;
      const v = changed.Value;
      if (v !== undefined) onValue(v as Buffer);
    });
    try {
      await this.bus.call(path, IFACE.characteristic, 'StartNotify', '', [], 'gatt');
    } catch (e) {
      off();
      throw e;
    }
    this.stats.startNotify++;
    this.subs.set(c.valueHandle, {
      path,
      stop: async () => {
        off();
        // A local disconnect ends the session with the link: no StopNotify round trip first.
        if (this.isConnected && !this.localDisconnect) {
          await this.bus.call(path, IFACE.characteristic, 'StopNotify', '', [], 'gatt');
        }
      },
    });
  }

  /**
   * Whether a subscription made earlier still delivers: bluetoothd keeps a session across a
   * re-resolution as long as the characteristic's object stays, so it need not be redone.
   */
  subscriptionAlive(c: CharacteristicInfo): boolean {
    const sub = this.subs.get(c.valueHandle);
    if (!sub || sub.removed || sub.socket?.isClosed) return false;
    return this.gatt?.characteristicPaths.get(c.valueHandle) === sub.path;
  }

  async unsubscribe(c: CharacteristicInfo): Promise<void> {
    const sub = this.subs.get(c.valueHandle);
    if (!sub) return;
    this.subs.delete(c.valueHandle);
    await sub.stop();
  }

  mtu(): number {
    return this.mtuValue;
  }

  async exchangeMtu(_mtu: number): Promise<number> {
    throw new NotSupportedError(
      `BlueZ exchanges the MTU itself on connect (negotiated: ${this.mtuValue}); D-Bus cannot request one`,
    );
  }

  async rssi(): Promise<number> {
    throw new NotSupportedError('BlueZ D-Bus does not report the RSSI of a live connection');
  }

  /**
   * Pairs through whichever agent is registered with bluetoothd; that agent's IO capability
   * decides whether the result is authenticated ('high') or not ('medium').
   */
  async pair(level: SecurityLevel): Promise<void> {
    if (level === 'low') return;
    this.live();
    const props = await this.bus.getAll(this.path, IFACE.device);
    if (props.Paired === true) return;
    try {
      await withTimeout(
        this.bus.call(this.path, IFACE.device, 'Pair', '', [], 'other', Infinity),
        60_000,
        `pairing with ${this.address}`,
      );
    } catch (e) {
      if (/AlreadyExists/.test(String((e as { cause?: { type?: string } }).cause?.type))) return;
      throw e;
    }
  }

  /**
   * bluetoothd left the bus: the link, its sessions and objects went with it, and no signal
   * will say so. Ends the connection as a remote disconnect.
   */
  bluezGone(): void {
    const was = this.connected;
    this.isConnected = false;
    this.servicesResolved = false;
    for (const w of this.resolvedWaiters.splice(0)) w();
    if (was) this.gone();
    else this.dispose();
  }

  /** Releases listeners and sockets without talking to bluetoothd. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const c of this.cleanups.splice(0)) c();
    if (this.changeTimer) clearTimeout(this.changeTimer);
    for (const s of this.subs.values()) void s.stop().catch(() => undefined);
    this.subs.clear();
    for (const w of this.writers.values()) void w.then((s) => s?.close());
    this.writers.clear();
    this.onGone(this);
  }

  private useAcquire(): boolean {
    return this.options.acquire !== false && nativeAvailable();
  }

  /**
   * Whether write commands to this peer travel on a single ATT bearer, so that a burst through
   * the AcquireWrite socket arrives in order. With EATT there are several, and BlueZ 5.66 gives
   * each queued command to whichever bearer can send first: a burst then spreads over them and
   * the peer reads the bearers in any order. EATT needs the peer's Server Supported Features
   * bit 0; a peer whose GATT service cannot be seen, or whose features cannot be read, counts
   * as having several bearers.
   */
  private oneBearer(): Promise<boolean> {
    this.oneBearerCheck ??= this.checkOneBearer();
    return this.oneBearerCheck;
  }

  private async checkOneBearer(): Promise<boolean> {
    const gattService = this.gatt?.services.find((s) => s.uuid === GATT_SERVICE);
    const features = gattService?.characteristics.find((c) => c.uuid === SERVER_FEATURES);
    if (gattService && !features) {
      this.stats.eatt = false;
      return true;
    }
    try {
      if (!features) throw new NotFoundError('the GATT service is not visible');
      const [v] = await this.bus.call(
        await this.charPath(features),
        IFACE.characteristic,
        'ReadValue',
        'a{sv}',
        [{}],
        'gatt',
      );
      this.stats.eatt = (((v as Buffer)[0] ?? 0) & 1) === 1;
    } catch (e) {
      this.stats.eatt = true;
      this.stats.lastFallback = `EATT unknown, writes kept in order: ${(e as Error).message}`;
    }
    return !this.stats.eatt;
  }

  private async acquireNotify(
    c: CharacteristicInfo,
    path: string,
    onValue: (value: Buffer) => void,
  ): Promise<void> {
    const [fd, mtu] = (await this.bus.call(
      path,
      IFACE.characteristic,
      'AcquireNotify',
      'a{sv}',
      [{}],
      'gatt',
      ACQUIRE_TIMEOUT_MS,
    )) as [number, number];
    this.stats.acquiredNotify++;
    if (typeof mtu === 'number') this.mtuValue = Math.max(this.mtuValue, mtu);
    const sock = new PacketSocket(fd);
    sock.unref();
    sock.on('packets', (bufs) => {
      for (const b of bufs) onValue(b);
    });
    sock.on('error', () => undefined);
    this.subs.set(c.valueHandle, {
      path,
      socket: sock,
      // Closing the fd is how a client ends an acquired notification session; bluetoothd
      // notices the hangup later and refuses StartNotify ("Notify acquired") until then.
      stop: async () => {
        sock.close();
        // Waiting for bluetoothd to notice the hangup only matters if the link stays up.
        if (this.connected && !this.localDisconnect) {
          await this.acquiredReleased(path, 'NotifyAcquired');
        }
      },
    });
  }

  private writer(handle: number, path: string): Promise<PacketSocket | undefined> {
    let w = this.writers.get(handle);
    if (!w) {
      w = this.bus
        .call(path, IFACE.characteristic, 'AcquireWrite', 'a{sv}', [{}], 'gatt', ACQUIRE_TIMEOUT_MS)
        .then(([fd, mtu]) => {
          if (typeof mtu === 'number') this.mtuValue = Math.max(this.mtuValue, mtu);
          // A write waiting for room longer than this fails (and falls back to WriteValue).
          const s = new PacketSocket(fd as number, { stallTimeoutMs: ACQUIRE_TIMEOUT_MS });
          s.unref();
          s.on('error', () => undefined);
          s.on('close', () => this.writers.delete(handle));
          return s;
        })
        .catch((e: unknown) => {
          // Stay on WriteValue for this characteristic (the entry is kept as undefined).
          this.stats.lastFallback = `AcquireWrite: ${(e as Error).message}`;
          return undefined;
        });
      this.writers.set(handle, w);
    }
    return w;
  }

  /** Closes the AcquireWrite fd of a characteristic and waits until bluetoothd let go of it. */
  private async releaseWriter(handle: number, path: string): Promise<void> {
    const w = this.writers.get(handle);
    this.writers.delete(handle);
    const sock = await w;
    if (!sock) return;
    sock.close();
    if (this.connected) await this.acquiredReleased(path, 'WriteAcquired');
  }

  /** Polls the characteristic until `prop` (NotifyAcquired/WriteAcquired) is no longer true. */
  private async acquiredReleased(path: string, prop: string): Promise<void> {
    const end = Date.now() + RELEASE_TIMEOUT_MS;
    while (Date.now() < end && this.connected) {
      const props = await this.bus.getAll(path, IFACE.characteristic).catch(() => undefined);
      if (props?.[prop] !== true) return;
      await delay(20);
    }
  }

  private async closeSubs(): Promise<void> {
    const subs = [...this.subs.values()];
    this.subs.clear();
    await Promise.allSettled(subs.map((s) => s.stop()));
    for (const w of this.writers.values()) (await w)?.close();
    this.writers.clear();
  }

  private live(): void {
    if (!this.connected) throw new NotConnectedError(`${this.address} is not connected`);
  }

  private async charPath(c: CharacteristicInfo): Promise<string> {
    this.live();
    if (!this.gatt) await this.discover(false);
    const p = this.gatt?.characteristicPaths.get(c.valueHandle);
    if (!p) throw new NotFoundError(`No characteristic with value handle ${c.valueHandle}`);
    return p;
  }

  private async descPath(handle: number): Promise<string> {
    this.live();
    if (!this.gatt) await this.discover(false);
    const p = this.gatt?.descriptorPaths.get(handle);
    if (!p) throw new NotFoundError(`No descriptor at handle ${handle}`);
    return p;
  }

  /** The names of the service objects bluetoothd has under the device ('service000a', ...). */
  private async registeredServices(): Promise<string[]> {
    const [xml] = await this.bus.call(this.path, IFACE.introspectable, 'Introspect');
    return serviceNodes(String(xml));
  }

  private onDeviceProps(changed: Props): void {
    if (typeof changed.ServicesResolved === 'boolean') {
      const was = this.servicesResolved;
      this.servicesResolved = changed.ServicesResolved;
      // Re-resolution on a live link means the peer's database changed.
      if (!was && this.servicesResolved && this.resolvedOnce && this.isConnected) {
        this.scheduleServicesChanged('added');
      }
    }
    if (typeof changed.Connected === 'boolean') {
      const was = this.isConnected;
      this.isConnected = changed.Connected;
      if (was && !this.isConnected && this.resolvedOnce) this.gone();
    } else if (changed.ServicesResolved === true) {
      // Services resolve only on a live link. bluetoothd 5.66 sometimes sends no Connected=true
      // for a link it believes it already had ("Device ... is already connected"); waiting for
      // it cost each such connect the 1 s poll (the lab soak's connect phase).
      this.isConnected = true;
    }
    if (this.isConnected && this.servicesResolved) {
      for (const w of this.resolvedWaiters.splice(0)) w();
    }
  }

  private scheduleServicesChanged(_kind: string): void {
    this.gatt = undefined;
    this.oneBearerCheck = undefined;
    if (this.changeTimer) clearTimeout(this.changeTimer);
    this.changeTimer = setTimeout(() => {
      this.changeTimer = undefined;
      if (this.connected) this.events.onServicesChanged();
    }, SERVICES_CHANGED_SETTLE_MS);
  }

  private gone(): void {
    const reason: DisconnectReason = this.localDisconnect ? 'local' : 'remote';
    this.gatt = undefined;
    this.dispose();
    this.events.onDisconnect(reason);
  }
}
