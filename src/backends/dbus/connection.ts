// One LE link through bluetoothd as a CentralBackend connection: handles and CharacteristicInfo
// become object paths, the link's state comes from Device1 signals, and the choice of path per
// operation (AcquireNotify/AcquireWrite sockets or D-Bus calls, write order across EATT bearers)
// is made here. The BlueZ calls themselves are src/bluez's (device.ts, gatt-remote.ts,
// gatt-remote-sessions.ts).
import {
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
import { ATT_DEFAULT_MTU } from '../../protocol/att.js';
import { nativeAvailable } from '../../native/seqpacket.js';
import type { BluezBus } from '../../bluez/session.js';
import { fetchObjects, type ObjectMirror } from '../../bluez/object-mirror.js';
import { IFACE, type Props } from '../../bluez/names.js';
import { buildDeviceGatt, type DeviceGatt } from '../../bluez/remote-objects.js';
import {
  deviceProps,
  disconnectDevice,
  pairDevice,
  registeredServices,
  untilDisconnected,
} from '../../bluez/device.js';
import { readCharacteristic, readDescriptor } from '../../bluez/gatt-remote.js';
import {
  RemoteSessions,
  type RemoteGattStats,
  type RemoteLink,
} from '../../bluez/gatt-remote-sessions.js';

export interface DbusConnectionOptions {
  /** Default true: see DbusBackendOptions.acquire. */
  acquire?: boolean;
}

/** Bursts of Service Changed object churn are folded into one event. */
const SERVICES_CHANGED_SETTLE_MS = 300;

/** Which transport each operation took, and how discoveries were served. */
export interface DbusPathStats extends RemoteGattStats {
  /** Discoveries served by the object mirror, and those that asked GetManagedObjects. */
  mirrorDiscoveries: number;
  /** Discoveries that had to call GetManagedObjects. */
  fetchedDiscoveries: number;
  /**
   * Whether write commands may travel on several ATT bearers (the peer offers EATT, or that
   * could not be told), once a write without response asked.
   */
  eatt?: boolean;
}

/** How often to ask for ServicesResolved while its signal has not come. */
const RESOLVED_POLL_MS = 1_000;
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
  private mtuValue = ATT_DEFAULT_MTU;
  private readonly sessions: RemoteSessions;
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
    this.sessions = new RemoteSessions(bus, this.link(), this.stats);
    this.cleanups.push(
      bus.onProperties(path, (iface, changed) => {
        if (iface === IFACE.device) this.onDeviceProps(changed);
      }),
      bus.onInterfaces((kind, p) => {
        if (kind === 'removed') this.sessions.objectRemoved(p);
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
        const props = await deviceProps(this.bus, this.path).catch(() => undefined);
        if (props) this.onDeviceProps(props);
      }
    }
    this.resolvedOnce = true;
  }

  async disconnect(): Promise<void> {
    if (!this.isConnected) return;
    this.localDisconnect = true;
    await this.sessions.close();
    await disconnectDevice(this.bus, this.path);
    if (this.isConnected) await untilDisconnected(this.bus, this.path, this.address);
  }

  async discover(refresh: boolean): Promise<ServiceInfo[]> {
    this.live();
    // bluetoothd 5.66 may announce ServicesResolved before the InterfacesAdded of some services
    // (seen in the lab: only 0x1801 was there). The services it has registered are listed by
    // Introspect (one short string, unlike GetManagedObjects); the mirror serves only if it
    // holds all of them. A service's characteristics are announced together with it.
    let fromMirror = !refresh && this.servicesResolved && this.mirror.hasServices(this.path);
    if (fromMirror) {
      const listed = await registeredServices(this.bus, this.path).catch(() => undefined);
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
    // Overlapping reads need no queue: bluetoothd answers them all from one ATT read.
    return readCharacteristic(this.bus, await this.charPath(c));
  }

  async write(
    c: CharacteristicInfo,
    value: Buffer,
    withResponse: boolean,
    options: BackendWriteOptions = {},
  ): Promise<void> {
    const path = await this.charPath(c);
    const acquire =
      !withResponse &&
      c.properties.writeWithoutResponse &&
      this.useAcquire() &&
      (options.unordered === true || (await this.oneBearer()));
    const type = withResponse ? 'request' : 'command';
    await this.sessions.write(c.valueHandle, path, value, type, acquire);
  }

  async readDescriptor(handle: number): Promise<Buffer> {
    return readDescriptor(this.bus, await this.descPath(handle));
  }

  async writeDescriptor(handle: number, value: Buffer): Promise<void> {
    await this.sessions.writeDescriptor(await this.descPath(handle), value);
  }

  async subscribe(
    c: CharacteristicInfo,
    options: BackendSubscribeOptions,
    onValue: (value: Buffer) => void,
  ): Promise<void> {
    const path = await this.charPath(c);
    const acquire =
      !options.forceStartNotify && !options.indicate && c.properties.notify && this.useAcquire();
    await this.sessions.subscribe(c.valueHandle, path, acquire, onValue);
  }

  /**
   * Whether a subscription made earlier still delivers: bluetoothd keeps a session across a
   * re-resolution as long as the characteristic's object stays, so it need not be redone.
   */
  subscriptionAlive(c: CharacteristicInfo): boolean {
    return this.sessions.alive(c.valueHandle, this.gatt?.characteristicPaths.get(c.valueHandle));
  }

  async unsubscribe(c: CharacteristicInfo): Promise<void> {
    await this.sessions.unsubscribe(c.valueHandle);
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
    await pairDevice(this.bus, this.path, this.address);
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
    this.sessions.dispose();
    this.onGone(this);
  }

  /** The link as the GATT sessions see it; they may raise the MTU. */
  private link(): RemoteLink {
    return {
      up: () => this.isConnected,
      usable: () => this.connected,
      leaving: () => this.localDisconnect,
      mtu: () => this.mtuValue,
      raiseMtu: (mtu) => {
        this.mtuValue = Math.max(this.mtuValue, mtu);
      },
    };
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
      const v = await readCharacteristic(this.bus, await this.charPath(features));
      this.stats.eatt = ((v[0] ?? 0) & 1) === 1;
    } catch (e) {
      this.stats.eatt = true;
      this.stats.lastFallback = `EATT unknown, writes kept in order: ${(e as Error).message}`;
    }
    return !this.stats.eatt;
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
