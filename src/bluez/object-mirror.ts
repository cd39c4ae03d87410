import type { BluezBus } from './session.js';
import { IFACE, type ObjectTree, type Props } from './names.js';
import { parseManagedObjects } from './remote-objects.js';

/**
 * bluetoothd's objects under one path, kept current from InterfacesAdded/InterfacesRemoved and
 * PropertiesChanged so that a discovery after ServicesResolved needs no GetManagedObjects
 * (bluetoothd announces a device's GATT objects before it sets ServicesResolved).
 */
export class ObjectMirror {
  readonly objects: ObjectTree = new Map();
  /** Signals seen while a snapshot is on its way, one list per pending snapshot. */
  private readonly journals = new Set<Op[]>();

  /** `root` is a path prefix ('/org/bluez'): anything outside it is ignored. */
  constructor(private root: string) {}

  /** Keeps only what lies under `root` from now on (e.g. one adapter of the ones loaded). */
  narrow(root: string): void {
    this.root = root;
    for (const path of [...this.objects.keys()]) if (!this.covers(path)) this.objects.delete(path);
  }

  added(path: string, ifaces: Map<string, Props>): void {
    if (!this.covers(path)) return;
    this.record({ kind: 'added', path, ifaces });
    let obj = this.objects.get(path);
    if (!obj) this.objects.set(path, (obj = new Map()));
    for (const [name, props] of ifaces) obj.set(name, { ...props });
  }

  removed(path: string, names: readonly string[]): void {
    if (!this.covers(path)) return;
    this.record({ kind: 'removed', path, names });
    const obj = this.objects.get(path);
    if (!obj) return;
    for (const n of names) obj.delete(n);
    if (obj.size === 0) this.objects.delete(path);
  }

  /**
   * Updates in place. `Value` is left out: it is the one property that changes per
   * notification, and nothing reads it from here.
   */
  changed(path: string, iface: string, changed: Props, invalidated: readonly string[]): void {
    const props = this.objects.get(path)?.get(iface);
    if (this.journals.size > 0 && this.covers(path)) {
      this.record({ kind: 'changed', path, iface, changed, invalidated });
    }
    if (!props) return;
    for (const k in changed) if (k !== 'Value') props[k] = changed[k];
    for (const k of invalidated) delete props[k];
  }

  /**
   * Replaces everything with a GetManagedObjects answer from `fetch`, then replays the signals
   * that arrived while it was pending: each of them is at least as new as the answer, and
   * replaying one already contained in it changes nothing.
   */
  async load(fetch: () => Promise<ObjectTree>): Promise<void> {
    const journal: Op[] = [];
    this.journals.add(journal);
    try {
      const tree = await fetch();
      this.objects.clear();
      for (const [path, ifaces] of tree) {
        if (this.covers(path)) this.objects.set(path, new Map(ifaces));
      }
      this.journals.delete(journal);
      for (const op of journal) this.apply(op);
    } finally {
      this.journals.delete(journal);
    }
  }

  /** Whether any GattService1 object lives under the device at `devPath`. */
  hasServices(devPath: string): boolean {
    const prefix = devPath + '/';
    for (const [path, ifaces] of this.objects) {
      if (path.startsWith(prefix) && ifaces.has(IFACE.service)) return true;
    }
    return false;
  }

  /** Whether a GattService1 object is held for each of `names` (child nodes of `devPath`). */
  hasAllServices(devPath: string, names: readonly string[]): boolean {
    return names.every((n) => this.objects.get(`${devPath}/${n}`)?.has(IFACE.service) === true);
  }

  get(path: string, iface: string): Props | undefined {
    return this.objects.get(path)?.get(iface);
  }

  private covers(path: string): boolean {
    return path === this.root || path.startsWith(this.root + '/');
  }

  private record(op: Op): void {
    for (const j of this.journals) j.push(op);
  }

  private apply(op: Op): void {
    if (op.kind === 'added') this.added(op.path, op.ifaces);
    else if (op.kind === 'removed') this.removed(op.path, op.names);
    else this.changed(op.path, op.iface, op.changed, op.invalidated);
  }
}

type Op =
  | { kind: 'added'; path: string; ifaces: Map<string, Props> }
  | { kind: 'removed'; path: string; names: readonly string[] }
  | {
      kind: 'changed';
      path: string;
      iface: string;
      changed: Props;
      invalidated: readonly string[];
    };

/** bluetoothd's whole object tree, in one GetManagedObjects call. */
export async function fetchObjects(bus: BluezBus): Promise<ObjectTree> {
  const [raw] = await bus.call('/', IFACE.objectManager, 'GetManagedObjects');
  return parseManagedObjects(raw);
}

/** Service child nodes named in an Introspect answer ('<node name="service000a"/>'). */
export function serviceNodes(xml: string): string[] {
  const out: string[] = [];
  for (const m of xml.matchAll(/<node\s+name="(service[0-9a-f]{4})"/gi)) out.push(m[1] as string);
  return out;
}
