import { EventEmitter } from 'node:events';
import {
  BackendError,
  BusyError,
  InvalidArgumentError,
  log,
  runOperation,
  type OperationOptions,
} from '../core/index.js';
import { Adapter, checkAdapterSelector } from '../bluez/adapter.js';
import { Advertisement, type AdvertisementOptions } from '../bluez/advertising.js';
import type { Agent } from '../bluez/agent.js';
import { AgentRegistry, type RegisterAgentOptions } from '../bluez/agent-registry.js';
import { ObjectTree } from '../dbus/client/object-tree.js';
import { openSystemBus, roundTrip, type PeripheralBus } from '../bluez/calls.js';
import { DeviceWatch } from '../bluez/device-watch.js';
import { GattApplication, type ApplicationHost } from '../bluez/gatt-application.js';
import type { LocalService, SubscriptionEvent } from '../bluez/gatt-local.js';
import type { RemoteDevice, ServiceLike } from './gatt/types.js';
import { IFACE } from '../bluez/names.js';
import { adapterBack, watchBluezOwner } from '../bluez/owner.js';
import { DEFAULT_PERIPHERAL_OPERATION_MS, undoable } from './waits.js';

/** Options of Peripheral.open(). */
export interface PeripheralOptions {
  /** 'hci1', '/org/bluez/hci1' or the adapter's address; default the first adapter. */
  adapter?: string;
  /** Use this connection instead of opening one to the system bus (not closed by close()). */
  bus?: PeripheralBus;
  /** Unregister everything on SIGINT/SIGTERM, then let the signal do its default. Default true. */
  handleSignals?: boolean;
  /** After a central disconnects, register the last advertisement again if BlueZ dropped it. Default false. */
  readvertiseOnDisconnect?: boolean;
  /**
   * Time limit of open() and of each operation that sets no `timeoutMs` of its own (ms;
   * Infinity: none). Default 40 000, a BlueZ D-Bus call's own limit.
   */
  operationTimeoutMs?: number;
  /** Aborts open() and every operation of this peripheral still waiting (AbortError). */
  signal?: AbortSignal;
}

/** The events of a Peripheral: name to listener arguments. */
export interface PeripheralEvents {
  /** A central connected to this adapter. */
  connect: [device: RemoteDevice];
  /** A central's link to this adapter is gone. */
  disconnect: [device: RemoteDevice];
  /** A characteristic of the services got its first subscriber (BlueZ tells only that one). */
  subscribe: [ev: SubscriptionEvent];
  /** A characteristic lost its last subscriber (it unsubscribed or its link went). */
  unsubscribe: [ev: SubscriptionEvent];
  /** A handler threw something other than an AttError (the client got 0x0e Unlikely Error). */
  handlerError: [error: unknown, where: string];
  /**
   * The bus failed (the peripheral should be closed), or bluetoothd came back and something
   * could not be registered with it again (a BleError; without a listener that is a warning).
   */
  error: [error: Error];
  /**
   * bluetoothd left the bus (crashed or stopped): nothing is served or advertised until a new
   * one is there and everything is registered with it ('bluezRestored').
   */
  bluezLost: [];
  /** A new bluetoothd took the name and everything was registered with it again. */
  bluezRestored: [counts: RestoredCounts];
}

/** What a Peripheral registered again after bluetoothd came back. */
export interface RestoredCounts {
  applications: number;
  advertisements: number;
  agents: number;
}

/** How long a new bluetoothd may take to publish the adapter before re-registering gives up. */
const ADAPTER_BACK_MS = 30_000;

let instances = 0;

/**
 * A GATT server and advertiser on one adapter, over BlueZ's D-Bus API.
 *
 *   const p = await Peripheral.open({ adapter: 'hci1' });
 *   const svc = await p.addService({ uuid: '180d', characteristics: [...] });
 *   await p.advertise({ localName: 'HR', serviceUuids: ['180d'] });
 *
 * Errors: InvalidArgumentError for a bad service definition or advertisement option (before
 * anything is registered); BusyError when no advertising slot is free, for an agent that is
 * already registered, and for any call after close(); BlueZ's refusals as typed errors
 * (PermissionError for D-Bus policy, NotSupportedError, BackendError when bluetoothd is gone).
 */
export class Peripheral extends EventEmitter<PeripheralEvents> {
  /** @internal The D-Bus objects this peripheral exports. */
  readonly tree: ObjectTree;
  /** @internal The object path everything of this peripheral lives under. */
  readonly root: string;
  private readonly apps: GattApplication[] = [];
  private readonly adverts = new Set<Advertisement>();
  /** @internal The agents registered through this peripheral's connection. */
  readonly agentRegistry: AgentRegistry;
  private lastAdvertisement: AdvertisementOptions | undefined;
  /** True from bluetoothd leaving until everything is registered with its successor. */
  private bluezDown = false;
  /** Counts owner changes, so a re-registration overtaken by a newer change stops. */
  private ownerEpoch = 0;
  /** Registrations bluetoothd took with it that are not back yet. */
  private readonly lostApps = new Set<GattApplication>();
  private readonly lostAdverts = new Set<Advertisement>();
  private closed = false;
  private counter = 0;
  private readonly signalHandler = (sig: NodeJS.Signals): void => {
    void this.close().finally(() => {
      process.kill(process.pid, sig);
    });
  };

  /** Time limit and signal of the operations that set none of their own (PeripheralOptions). */
  private readonly limits: { operationTimeoutMs: number; signal?: AbortSignal | undefined };

  private constructor(
    /** The D-Bus connection in use. */
    readonly bus: PeripheralBus,
    /** The adapter this peripheral serves on. */
    readonly adapter: Adapter,
    private readonly watch: DeviceWatch,
    private readonly ownsBus: boolean,
    private readonly opts: PeripheralOptions,
    private readonly unwatchOwner: () => Promise<void>,
  ) {
    super();
    this.limits = peripheralLimits(opts);
    // BlueZ's own name for a failure it turns into an ATT error for the remote client.
    this.tree = new ObjectTree(bus, { failedErrorName: 'org.bluez.Error.Failed' });
    this.tree.attach();
    this.root = `/org/blekit/peripheral${process.pid}_${instances++}`;
    this.agentRegistry = new AgentRegistry(bus, this.tree, this.root);
    watch.on('connect', (d) => this.emit('connect', d));
    watch.on('disconnect', (d) => {
      this.emit('disconnect', d);
      if (this.opts.readvertiseOnDisconnect && !this.bluezDown) void this.readvertise();
    });
    bus.on('error', (err: Error) => {
      if (this.listenerCount('error') > 0) this.emit('error', err);
    });
    // A connection that drops (bus daemon gone) is an error too, unless close() ended it.
    bus.on('close', (reason: Error) => {
      if (!this.closed && this.listenerCount('error') > 0) this.emit('error', reason);
    });
    if (opts.handleSignals ?? true) {
      process.once('SIGINT', this.signalHandler);
      process.once('SIGTERM', this.signalHandler);
    }
  }

  /** Opens the adapter over the system bus and starts watching centrals connect; close() (or `await using`) undoes it all. */
  static async open(opts: PeripheralOptions = {}): Promise<Peripheral> {
    checkAdapterSelector(opts.adapter);
    const limits = peripheralLimits(opts);
    return undoable(
      'Peripheral.open',
      {},
      limits,
      () => Peripheral.openNow(opts),
      (p) => p.close(),
    );
  }

  private static async openNow(opts: PeripheralOptions): Promise<Peripheral> {
    const bus = opts.bus ?? (await openSystemBus());
    let unwatch: (() => Promise<void>) | undefined;
    try {
      const adapter = await Adapter.open(opts.adapter, { bus });
      // Watched before anything is registered, so no restart in between goes unseen.
      const made: { p?: Peripheral } = {};
      unwatch = await watchBluezOwner(bus, (running) => made.p?.onBluezOwner(running));
      const watch = new DeviceWatch(bus, adapter.path);
      await watch.start();
      made.p = new Peripheral(bus, adapter, watch, !opts.bus, opts, unwatch);
      return made.p;
    } catch (err) {
      await unwatch?.();
      if (!opts.bus) bus.close();
      throw err;
    }
  }

  /** Centrals connected to this adapter now. */
  get connectedDevices(): RemoteDevice[] {
    return this.watch.devices;
  }

  /** The GATT applications registered so far (addService() uses the first). */
  get applications(): readonly GattApplication[] {
    return this.apps;
  }

  private checkOpen(): void {
    if (this.closed) throw new BusyError('the peripheral is closed');
  }

  private host(): ApplicationHost {
    return {
      tree: this.tree,
      bus: this.bus,
      adapterPath: this.adapter.path,
      roundTrip: () => roundTrip(this.bus),
      soleDevice: () => (this.watch.devices.length === 1 ? this.watch.devices[0] : undefined),
      reportHandlerError: (err, where) => this.emit('handlerError', err, where),
    };
  }

  /** A further GATT application (registered separately from the default one). */
  createApplication(): GattApplication {
    this.checkOpen();
    const app = new GattApplication(this.host(), `${this.root}/app${this.apps.length}`);
    this.apps.push(app);
    return app;
  }

  private defaultApp(): GattApplication {
    return this.apps[0] ?? this.createApplication();
  }

  /**
   * Adds services to the default application and registers it (again) so BlueZ serves them.
   * Subscription events of the services are forwarded to the peripheral.
   */
  async addServices(list: ServiceLike[], options: OperationOptions = {}): Promise<LocalService[]> {
    this.checkOpen();
    if (!Array.isArray(list) || list.length === 0) {
      throw new InvalidArgumentError('addServices needs a non-empty array');
    }
    const app = this.defaultApp();
    const before = new Set(app.services);
    const wasRegistered = app.isRegistered;
    return undoable(
      'addServices',
      options,
      this.limits,
      () => this.addServicesNow(app, list),
      async () => {
        if (!wasRegistered) await app.unregister();
        for (const svc of [...app.services].reverse()) {
          if (!before.has(svc)) await app.removeService(svc);
        }
      },
    );
  }

  private async addServicesNow(app: GattApplication, list: ServiceLike[]): Promise<LocalService[]> {
    const wasRegistered = app.isRegistered;
    if (wasRegistered) await app.unregister();
    const out: LocalService[] = [];
    for (const s of list) {
      const svc = await app.addService(s);
      if (!out.includes(svc)) out.push(svc);
    }
    for (const svc of app.services) this.forward(svc);
    await app.register();
    return out;
  }

  /** Registers one service (a Service instance or a definition object) with BlueZ and resolves to its LocalService; see addServices(). */
  async addService(s: ServiceLike, options: OperationOptions = {}): Promise<LocalService> {
    const [svc] = await this.addServices([s], options);
    return svc as LocalService;
  }

  private readonly forwarded = new WeakSet<LocalService>();

  private forward(svc: LocalService): void {
    if (this.forwarded.has(svc)) return;
    this.forwarded.add(svc);
    svc.on('subscribe', (ev) => this.emit('subscribe', ev));
    svc.on('unsubscribe', (ev) => this.emit('unsubscribe', ev));
  }

  /**
   * Registers an advertisement. Several may run at once up to the controller's slots; when
   * none is free this throws BusyError. See AdvertisementOptions.timeout for lifetime.
   */
  async advertise(
    options: AdvertisementOptions,
    call: OperationOptions = {},
  ): Promise<Advertisement> {
    this.checkOpen();
    return undoable(
      'advertise',
      call,
      this.limits,
      () => this.advertiseNow(options),
      async (ad) => {
        this.adverts.delete(ad);
        if (this.lastAdvertisement === options) this.lastAdvertisement = undefined;
        await ad.stop();
      },
    );
  }

  private async advertiseNow(options: AdvertisementOptions): Promise<Advertisement> {
    const ad = new Advertisement(
      this.bus,
      this.tree,
      this.adapter.path,
      `${this.root}/advertisement${this.counter++}`,
      options,
    );
    await ad.start();
    this.adverts.add(ad);
    ad.on('release', () => this.adverts.delete(ad));
    this.lastAdvertisement = options;
    return ad;
  }

  /** Stops every advertisement this peripheral registered. */
  async stopAdvertising(options: OperationOptions = {}): Promise<void> {
    this.lastAdvertisement = undefined;
    const list = [...this.adverts];
    this.adverts.clear();
    await runOperation('stopAdvertising', options, this.limits, () =>
      Promise.all(list.map((a) => a.stop())).then(() => undefined),
    );
  }

  private async readvertise(): Promise<void> {
    const opts = this.lastAdvertisement;
    if (!opts || this.closed) return;
    // While BlueZ still holds the advertisement the kernel resumes it by itself when the link
    // drops. Removing and adding it again only made advertising stop and start while the
    // central was reconnecting, and bleak lost connects (issue 21). Register again only when
    // BlueZ released it.
    if ([...this.adverts].some((a) => a.options === opts && a.isActive)) return;
    try {
      await this.advertise(opts);
    } catch (err) {
      this.emit('handlerError', err, 'readvertise');
    }
  }

  /** Registers a pairing agent; `asDefault` makes BlueZ use it for every pairing. */
  async registerAgent(
    agent: Agent,
    opts: RegisterAgentOptions & OperationOptions = {},
  ): Promise<void> {
    this.checkOpen();
    await undoable(
      'registerAgent',
      opts,
      this.limits,
      () => this.agentRegistry.register(agent, { asDefault: opts.asDefault ?? false }),
      () => this.agentRegistry.unregister(agent),
    );
  }

  /** Unregisters an agent registered with registerAgent(). */
  async unregisterAgent(agent: Agent, options: OperationOptions = {}): Promise<void> {
    await runOperation('unregisterAgent', options, this.limits, () =>
      this.agentRegistry.unregister(agent),
    );
  }

  /**
   * bluetoothd left (false) or a bluetoothd took the name (true). Either way the registrations
   * with the old one are gone; with a new one they are made again.
   */
  private onBluezOwner(running: boolean): void {
    if (this.closed) return;
    const epoch = ++this.ownerEpoch;
    for (const app of this.apps) if (app.bluezGone()) this.lostApps.add(app);
    for (const ad of this.adverts) if (ad.bluezGone()) this.lostAdverts.add(ad);
    if (!this.bluezDown) {
      this.bluezDown = true;
      this.watch.bluezGone();
      this.emit('bluezLost');
    }
    if (running) void this.registerAgain(() => epoch === this.ownerEpoch && !this.closed);
  }

  /** Registers with the new bluetoothd what the old one held; reports what failed. */
  private async registerAgain(current: () => boolean): Promise<void> {
    const failures: unknown[] = [];
    const counts: RestoredCounts = { applications: 0, advertisements: 0, agents: 0 };
    try {
      const needs = [
        ...(this.lostApps.size > 0 ? [IFACE.gattManager] : []),
        ...(this.lostAdverts.size > 0 ? [IFACE.advertisingManager] : []),
      ];
      if (!(await adapterBack(this.bus, this.adapter.path, needs, ADAPTER_BACK_MS, current))) {
        return;
      }
      const attempt = (op: Promise<void>): Promise<boolean> =>
        op.then(
          () => true,
          (e: unknown) => {
            failures.push(e);
            return false;
          },
        );
      // What fails stays in the lost sets, so the next bluetoothd to come along is offered it.
      for (const app of [...this.lostApps]) {
        if (!current()) return;
        if (!app.isRegistered) {
          if (!(await attempt(app.register()))) continue;
          counts.applications++;
        }
        this.lostApps.delete(app);
      }
      for (const ad of [...this.lostAdverts]) {
        if (!current()) return;
        // Not stopped by the application while bluetoothd was away.
        if (this.adverts.has(ad) && !ad.isActive) {
          if (!(await attempt(ad.start()))) continue;
          counts.advertisements++;
        }
        this.lostAdverts.delete(ad);
      }
      if (!current()) return;
      counts.agents = await this.agentRegistry.registerAgain(failures);
    } catch (err) {
      failures.push(err);
    }
    if (!current()) return;
    this.bluezDown = false;
    if (failures.length === 0) this.emit('bluezRestored', counts);
    else this.reportRegisterAgainFailed(failures);
  }

  private reportRegisterAgainFailed(failures: unknown[]): void {
    const why = failures.map((e) => (e instanceof Error ? e.message : String(e))).join('; ');
    const err = new BackendError(`bluetoothd came back but registering again failed: ${why}`, {
      cause: failures.length === 1 ? failures[0] : new AggregateError(failures),
      backend: 'dbus',
    });
    if (this.listenerCount('error') > 0) this.emit('error', err);
    else log('peripheral').warn('BLEKIT_BLUEZ_REREGISTER_FAILED', err.message);
  }

  /**
   * Unregisters every application, advertisement and agent, then closes the bus if the
   * peripheral opened it. Safe to call more than once.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    process.removeListener('SIGINT', this.signalHandler);
    process.removeListener('SIGTERM', this.signalHandler);
    await this.unwatchOwner();
    const errors: unknown[] = [];
    const attempt = async (f: () => Promise<void>): Promise<void> => {
      await f().catch((e: unknown) => errors.push(e));
    };
    await attempt(() => this.stopAdvertising());
    for (const app of this.apps) await attempt(() => app.unregister());
    await attempt(() => this.agentRegistry.unregisterAll());
    await attempt(() => this.watch.stop());
    this.tree.detach();
    if (this.ownsBus) this.bus.close();
    if (errors.length > 0) {
      throw new AggregateError(errors, 'some BlueZ registrations could not be removed');
    }
  }

  /** `await using` support: close() when the scope ends. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

function peripheralLimits(opts: PeripheralOptions): {
  operationTimeoutMs: number;
  signal?: AbortSignal | undefined;
} {
  const ms = opts.operationTimeoutMs ?? DEFAULT_PERIPHERAL_OPERATION_MS;
  if (typeof ms !== 'number' || Number.isNaN(ms) || ms <= 0) {
    throw new InvalidArgumentError('operationTimeoutMs must be a positive number of ms');
  }
  return { operationTimeoutMs: ms, signal: opts.signal };
}
