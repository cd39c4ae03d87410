// The central's session with bluetoothd: one system-bus connection, its calls bounded and
// mapped to BleErrors, and PropertiesChanged / InterfacesAdded / InterfacesRemoved routed by
// path, which ObjectMirror (object-mirror.ts) keeps a picture of.
import { BackendError } from '../core/index.js';
import { connectBus, type DbusClient } from '../dbus/client/index.js';
import type { WireMessage } from '../dbus/message-codec.js';
import { Variant } from '../dbus/client/variant.js';
import { mapDbusError, type ErrorContext } from './errors.js';
import { BLUEZ_OWNER_RULE, bluezOwnerChange } from './owner.js';
import { BLUEZ, BLUEZ_CALL_TIMEOUT_MS, IFACE, unwrapProps, type Props } from './names.js';

/** What BluezBus needs from a connection (blekit's DbusClient; tests pass a stand-in). */
export type BusConnection = Pick<DbusClient, 'call' | 'on' | 'close'>;

/** D-Bus message type of a signal (the spec's numbering). */
const SIGNAL = 4;
/**
 * The system bus allows 128 pending replies per connection; beyond that it drops calls with an
 * error. Keep well under so signals and other clients' traffic still fit.
 */
export const MAX_PENDING_CALLS = 64;

export type PropsChangedHandler = (iface: string, changed: Props, invalidated: string[]) => void;
/** Like PropsChangedHandler, for a handler that watches a whole subtree. */
export type SubtreePropsHandler = (
  path: string,
  iface: string,
  changed: Props,
  invalidated: string[],
) => void;
export type InterfacesHandler = (
  kind: 'added' | 'removed',
  path: string,
  ifaces: Map<string, Props> | string[],
) => void;

export { Variant };

/**
 * A thin client for bluetoothd: raw method calls (no introspection), a window on pending
 * calls, and signal routing by object path so a notification costs one map lookup.
 */
export class BluezBus {
  private readonly pathHandlers = new Map<string, Set<PropsChangedHandler>>();
  private readonly ifaceHandlers = new Set<InterfacesHandler>();
  private readonly subtreeHandlers: { prefix: string; h: SubtreePropsHandler }[] = [];
  private readonly ownerHandlers = new Set<(running: boolean) => void>();
  private readonly matches: string[] = [];
  private pending = 0;
  private readonly waiting: (() => void)[] = [];
  private closed = false;

  /** Takes over `bus` (closes it on close()). */
  constructor(private readonly bus: BusConnection) {
    bus.on('message', (m: WireMessage) => {
      if (m.type === SIGNAL) this.onSignal(m);
    });
    // A lost bus connection surfaces as failed calls; keep the 'error' event from crashing.
    bus.on('error', () => undefined);
  }

  /** Connects to the system bus (DBUS_SYSTEM_BUS_ADDRESS or its default path). */
  static async open(): Promise<BluezBus> {
    try {
      return new BluezBus(await connectBus());
    } catch (e) {
      throw new BackendError(`Cannot open the system D-Bus: ${(e as Error).message}`, {
        cause: e,
        backend: 'dbus',
      });
    }
  }

  /**
   * Calls a bluetoothd method and resolves to the reply body. At most MAX_PENDING_CALLS are in
   * flight; later calls wait their turn in order.
   */
  async call(
    path: string,
    iface: string,
    member: string,
    signature = '',
    body: unknown[] = [],
    context: ErrorContext = 'other',
    timeoutMs = BLUEZ_CALL_TIMEOUT_MS,
  ): Promise<unknown[]> {
    if (this.closed) throw new BackendError('D-Bus connection is closed', { backend: 'dbus' });
    // A finishing call hands its slot straight to the next waiter, so the count never overshoots.
    if (this.pending < MAX_PENDING_CALLS) this.pending++;
    else await new Promise<void>((r) => this.waiting.push(r));
    try {
      const msg = { destination: BLUEZ, path, interface: iface, member, signature, body };
      return (await this.bus.call(msg, timeoutMs)).body;
    } catch (e) {
      throw mapDbusError(e, `${member} ${path}`, context);
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.pending--;
    }
  }

  /** Current pending calls (for tests of the window). */
  get inFlight(): number {
    return this.pending;
  }

  async getAll(path: string, iface: string): Promise<Props> {
    const [raw] = await this.call(path, IFACE.props, 'GetAll', 's', [iface]);
    return unwrapProps(raw as Record<string, unknown>);
  }

  async setProperty(path: string, iface: string, name: string, sig: string, value: unknown) {
    await this.call(path, IFACE.props, 'Set', 'ssv', [iface, name, new Variant(sig, value)]);
  }

  /**
   * Subscribes to bluetoothd's signals about objects under `namespace`: PropertiesChanged by
   * their path, InterfacesAdded/Removed (always sent from '/') by the path they carry.
   */
  async watch(namespace: string): Promise<void> {
    for (const rule of watchRules(namespace)) {
      await this.busCall('AddMatch', rule);
      this.matches.push(rule);
    }
  }

  /** Drops what watch(namespace) subscribed to. */
  async unwatch(namespace: string): Promise<void> {
    for (const rule of watchRules(namespace)) {
      const i = this.matches.indexOf(rule);
      if (i < 0) continue;
      this.matches.splice(i, 1);
      await this.busCall('RemoveMatch', rule);
    }
  }

  onProperties(path: string, h: PropsChangedHandler): () => void {
    let set = this.pathHandlers.get(path);
    if (!set) this.pathHandlers.set(path, (set = new Set()));
    set.add(h);
    return () => {
      set.delete(h);
      if (set.size === 0 && this.pathHandlers.get(path) === set) this.pathHandlers.delete(path);
    };
  }

  /** Every PropertiesChanged on `prefix` or below it (within what watch() subscribed to). */
  onPropertiesUnder(prefix: string, h: SubtreePropsHandler): () => void {
    const entry = { prefix, h };
    this.subtreeHandlers.push(entry);
    return () => {
      const i = this.subtreeHandlers.indexOf(entry);
      if (i >= 0) this.subtreeHandlers.splice(i, 1);
    };
  }

  /**
   * Calls `h` when bluetoothd leaves the bus (false: it crashed or was stopped, and every object
   * and session it held is gone) and when it is back (true). Needs watchOwner().
   */
  onOwnerChanged(h: (running: boolean) => void): () => void {
    this.ownerHandlers.add(h);
    return () => this.ownerHandlers.delete(h);
  }

  /** Subscribes to the bus daemon's NameOwnerChanged for org.bluez (see onOwnerChanged). */
  async watchOwner(): Promise<void> {
    await this.busCall('AddMatch', BLUEZ_OWNER_RULE);
    this.matches.push(BLUEZ_OWNER_RULE);
  }

  onInterfaces(h: InterfacesHandler): () => void {
    this.ifaceHandlers.add(h);
    return () => this.ifaceHandlers.delete(h);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    for (const rule of this.matches.splice(0)) {
      await this.busCall('RemoveMatch', rule).catch(() => undefined);
    }
    this.closed = true;
    this.pathHandlers.clear();
    this.ifaceHandlers.clear();
    this.ownerHandlers.clear();
    this.subtreeHandlers.length = 0;
    this.bus.close();
  }

  private async busCall(member: string, rule: string): Promise<void> {
    const msg = {
      destination: 'org.freedesktop.DBus',
      path: '/org/freedesktop/DBus',
      interface: 'org.freedesktop.DBus',
      member,
      signature: 's',
      body: [rule],
    };
    await this.bus.call(msg, BLUEZ_CALL_TIMEOUT_MS);
  }

  private onSignal(m: WireMessage): void {
    const running = bluezOwnerChange(m);
    if (running !== undefined) {
      for (const h of this.ownerHandlers) h(running);
      return;
    }
    if (m.interface === IFACE.props && m.member === 'PropertiesChanged') {
      const path = m.path ?? '';
      const set = this.pathHandlers.get(path);
      const under = this.subtreeHandlers.some((e) => inSubtree(path, e.prefix));
      if (!set && !under) return;
      const [iface, changed, invalidated] = m.body as [string, Record<string, unknown>, string[]];
      // Unwrapped once for all handlers: this is the path every D-Bus notification takes.
      const props = unwrapProps(changed);
      // Subtree watchers (the object mirror) first, so path handlers see it updated.
      if (under) {
        for (const e of this.subtreeHandlers) {
          if (inSubtree(path, e.prefix)) e.h(path, iface, props, invalidated);
        }
      }
      if (set) for (const h of set) h(iface, props, invalidated);
    } else if (m.interface === IFACE.objectManager) {
      if (m.member === 'InterfacesAdded') {
        const [path, raw] = m.body as [string, Record<string, Record<string, unknown>>];
        const ifaces = new Map<string, Props>();
        for (const [k, v] of Object.entries(raw)) ifaces.set(k, unwrapProps(v));
        for (const h of this.ifaceHandlers) h('added', path, ifaces);
      } else if (m.member === 'InterfacesRemoved') {
        const [path, names] = m.body as [string, string[]];
        for (const h of this.ifaceHandlers) h('removed', path, names);
      }
    }
  }
}

function inSubtree(path: string, prefix: string): boolean {
  return path.startsWith(prefix) && (path.length === prefix.length || path[prefix.length] === '/');
}

function watchRules(namespace: string): string[] {
  const from = `type='signal',sender='org.bluez'`;
  return [
    `${from},interface='${IFACE.props}',member='PropertiesChanged',path_namespace='${namespace}'`,
    // arg0path with a trailing '/' matches every object path below the namespace.
    `${from},interface='${IFACE.objectManager}',path='/',arg0path='${namespace}/'`,
  ];
}
