import { BusyError, InvalidArgumentError } from '../core/index.js';
import { callMethod } from './calls.js';
import { OBJECT_MANAGER_IFACE, type ObjectTree } from '../dbus/client/object-tree.js';
import { bindService } from '../peripheral/gatt/service-class.js';
import { LocalService, type AttributeHost } from './gatt-local.js';
import type { ServiceDefinition, ServiceLike } from '../peripheral/gatt/types.js';
import { validateService } from '../peripheral/gatt/validate.js';
import { IFACE } from './names.js';

/** What an application needs from the peripheral that owns it. */
export interface ApplicationHost extends Omit<AttributeHost, 'tree'> {
  readonly tree: ObjectTree;
  readonly bus: Parameters<typeof callMethod>[0];
  readonly adapterPath: string;
}

function definitionOf(s: ServiceLike): ServiceDefinition {
  if (typeof (s as { toDefinition?: unknown }).toDefinition === 'function') {
    return (s as { toDefinition(): ServiceDefinition }).toDefinition();
  }
  return s as ServiceDefinition;
}

/**
 * One GATT application: a set of services registered with BlueZ's GattManager1 together.
 * A peripheral may run several at once; adding a service to a registered application
 * re-registers it (BlueZ reads an application's objects only when it is registered).
 */
export class GattApplication {
  /** Its services, in registration order. */
  readonly services: LocalService[] = [];
  private registered = false;

  /** @internal Created by Peripheral.createApplication. */
  constructor(
    private readonly host: ApplicationHost,
    /** Its D-Bus object path. */
    readonly path: string,
  ) {}

  /** True while BlueZ has it registered. */
  get isRegistered(): boolean {
    return this.registered;
  }

  /**
   * Adds a service (a plain definition or a `Service` instance) and, when the application is
   * registered, registers it again so BlueZ sees the change. Included services are added
   * first when they are not in the application yet.
   */
  async addService(s: ServiceLike | LocalService): Promise<LocalService> {
    const svc = this.add(s, new Set());
    if (this.registered) await this.reregister();
    return svc;
  }

  /** Removes a service; re-registers when registered. */
  async removeService(svc: LocalService): Promise<void> {
    const i = this.services.indexOf(svc);
    if (i < 0) throw new InvalidArgumentError('service is not in this application');
    const user = this.services.find((o) => o.includes.includes(svc));
    if (user) throw new InvalidArgumentError(`service ${svc.uuid} is included by ${user.uuid}`);
    this.services.splice(i, 1);
    svc.detach();
    if (this.registered) await this.reregister();
  }

  private add(s: ServiceLike | LocalService, visiting: Set<unknown>): LocalService {
    if (s instanceof LocalService) {
      if (!this.services.includes(s)) {
        throw new InvalidArgumentError('a LocalService belongs to the application that made it');
      }
      return s;
    }
    const existing = this.services.find((x) => x.source === s);
    if (existing) return existing;
    if (visiting.has(s)) throw new InvalidArgumentError('included services form a cycle');
    visiting.add(s);
    const def = definitionOf(s);
    validateService(def);
    // Included services go first: BlueZ must have registered them before the includer.
    const includes = (def.includes ?? []).map((inc) => this.add(inc, visiting));
    const svc = new LocalService(def, s);
    svc.includes.push(...includes);
    svc.attach(this.host, `${this.path}/service${this.nextIndex()}`);
    this.services.push(svc);
    bindService(s, svc);
    return svc;
  }

  private nextIndex(): number {
    let n = 0;
    while (this.services.some((s) => s.path === `${this.path}/service${n}`)) n++;
    return n;
  }

  private exportObjects(): void {
    const tree = this.host.tree;
    tree.unexportTree(this.path);
    tree.export(this.path, { [OBJECT_MANAGER_IFACE]: {} });
    for (const svc of this.services) for (const [p, spec] of svc.objects()) tree.export(p, spec);
  }

  /** Registers with BlueZ on the peripheral's adapter; BlueZ then assigns handles. */
  async register(): Promise<void> {
    if (this.registered) throw new BusyError(`application ${this.path} is already registered`);
    if (this.services.length === 0) {
      throw new InvalidArgumentError('an application needs at least one service');
    }
    this.exportObjects();
    try {
      await callMethod(this.host.bus, {
        path: this.host.adapterPath,
        interface: IFACE.gattManager,
        member: 'RegisterApplication',
        signature: 'oa{sv}',
        body: [this.path, {}],
      });
    } catch (err) {
      this.host.tree.unexportTree(this.path);
      throw err;
    }
    this.registered = true;
  }

  /** Unregisters it from BlueZ; its services stop being served. */
  async unregister(): Promise<void> {
    if (!this.registered) return;
    this.registered = false;
    try {
      await callMethod(this.host.bus, {
        path: this.host.adapterPath,
        interface: IFACE.gattManager,
        member: 'UnregisterApplication',
        signature: 'o',
        body: [this.path],
      });
    } finally {
      for (const s of this.services) s.detach();
      this.host.tree.unexportTree(this.path);
    }
  }

  /**
   * @internal bluetoothd went away, and its registration of this application with it; the
   * objects stay exported for register() to offer again. True when it was registered.
   */
  bluezGone(): boolean {
    if (!this.registered) return false;
    this.registered = false;
    for (const s of this.services) s.detach();
    return true;
  }

  private async reregister(): Promise<void> {
    await this.unregister();
    await this.register();
  }
}
