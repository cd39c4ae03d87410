import dbus from 'dbus-next';
import type { Message as DBusMessage, MessageBus } from 'dbus-next';

const { Message, Variant, MessageType } = dbus;

export const PROPERTIES_IFACE = 'org.freedesktop.DBus.Properties';
export const OBJECT_MANAGER_IFACE = 'org.freedesktop.DBus.ObjectManager';
const INTROSPECT_IFACE = 'org.freedesktop.DBus.Introspectable';

/** An error a method handler throws to answer with a specific D-Bus error name. */
export class DBusReplyError extends Error {
  constructor(
    readonly dbusName: string,
    message: string,
  ) {
    super(message);
    this.name = 'DBusReplyError';
  }
}

export interface PropertySpec {
  signature: string;
  get(): unknown;
  /** Present when peers may Set the property. */
  set?(value: unknown): void;
}

/** A method reply with work to do once it has been written (e.g. closing an fd we passed). */
export class Reply {
  constructor(
    readonly body: unknown[],
    readonly afterSend: () => void,
  ) {}
}

export type MethodResult = unknown[] | Reply | void;

export interface MethodSpec {
  inSignature: string;
  outSignature: string;
  /** Returns the reply body (an array matching outSignature), sync or async. */
  handler(args: unknown[], msg: DBusMessage): MethodResult | Promise<MethodResult>;
  /** The caller expects no reply (e.g. LEAdvertisement1.Release). */
  noReply?: boolean;
}

export interface InterfaceSpec {
  properties?: Record<string, PropertySpec>;
  methods?: Record<string, MethodSpec>;
}

export type ObjectSpec = Record<string, InterfaceSpec>;

/** What the tree needs from a bus: small, so tests can pass a fake. */
export type BusLike = Pick<MessageBus, 'send' | 'addMethodHandler' | 'removeMethodHandler'>;

/**
 * Objects this process exports on the bus, answered through one method handler so that
 * Properties, ObjectManager and Introspectable behave the way BlueZ expects of an
 * application (dbus-next's own service classes need legacy decorators and have no
 * ObjectManager).
 */
export class ObjectTree {
  private readonly objects = new Map<string, ObjectSpec>();
  private readonly handler = (msg: DBusMessage): boolean => this.onMessage(msg);
  private attached = false;

  constructor(private readonly bus: BusLike) {}

  attach(): void {
    if (this.attached) return;
    this.bus.addMethodHandler(this.handler);
    this.attached = true;
  }

  detach(): void {
    if (!this.attached) return;
    this.bus.removeMethodHandler(this.handler);
    this.attached = false;
  }

  export(path: string, spec: ObjectSpec): void {
    this.objects.set(path, spec);
  }

  unexport(path: string): void {
    this.objects.delete(path);
  }

  /** Removes every object at or under `root`. */
  unexportTree(root: string): void {
    for (const p of [...this.objects.keys()]) if (isUnder(p, root)) this.objects.delete(p);
  }

  has(path: string): boolean {
    return this.objects.has(path);
  }

  get paths(): string[] {
    return [...this.objects.keys()];
  }

  /** GetManagedObjects' answer for `root`: every object strictly under it, in export order. */
  managedObjects(root: string): Record<string, Record<string, Record<string, unknown>>> {
    const out: Record<string, Record<string, Record<string, unknown>>> = {};
    for (const [path, spec] of this.objects) {
      if (path === root || !isUnder(path, root)) continue;
      const ifaces: Record<string, Record<string, unknown>> = {};
      for (const [name, iface] of Object.entries(spec)) {
        if (name === OBJECT_MANAGER_IFACE) continue;
        ifaces[name] = propsOf(iface);
      }
      out[path] = ifaces;
    }
    return out;
  }

  emitPropertiesChanged(path: string, iface: string, changed: Record<string, unknown>): void {
    const spec = this.objects.get(path)?.[iface];
    const body: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(changed)) {
      const sig = spec?.properties?.[k]?.signature;
      if (sig === undefined) throw new Error(`no property ${iface}.${k} at ${path}`);
      body[k] = new Variant(sig, v);
    }
    this.bus.send(
      Message.newSignal(path, PROPERTIES_IFACE, 'PropertiesChanged', 'sa{sv}as', [iface, body, []]),
    );
  }

  private onMessage(msg: DBusMessage): boolean {
    if (msg.type !== MessageType.METHOD_CALL) return false;
    const spec = this.objects.get(msg.path);
    if (msg.interface === INTROSPECT_IFACE && msg.member === 'Introspect') {
      if (!spec && !this.hasChildren(msg.path)) return false;
      this.bus.send(Message.newMethodReturn(msg, 's', [this.introspect(msg.path)]));
      return true;
    }
    if (!spec) return false;
    if (msg.interface === PROPERTIES_IFACE) return this.onProperties(msg, spec);
    if (msg.interface === OBJECT_MANAGER_IFACE && msg.member === 'GetManagedObjects') {
      if (!spec[OBJECT_MANAGER_IFACE]) return false;
      this.reply(msg, () => [this.managedObjects(msg.path)], 'a{oa{sa{sv}}}', true);
      return true;
    }
    const iface = msg.interface ? spec[msg.interface] : undefined;
    const method = iface?.methods?.[msg.member];
    if (!method) return false;
    if (msg.signature !== method.inSignature) {
      this.bus.send(
        newError(
          msg,
          'org.freedesktop.DBus.Error.InvalidArgs',
          `expected signature "${method.inSignature}", got "${msg.signature}"`,
        ),
      );
      return true;
    }
    this.reply(msg, () => method.handler(msg.body, msg), method.outSignature, !method.noReply);
    return true;
  }

  private onProperties(msg: DBusMessage, spec: ObjectSpec): boolean {
    const [ifaceName, propName, value] = msg.body as [string, string?, unknown?];
    const iface = spec[ifaceName];
    if (msg.member === 'GetAll') {
      this.reply(msg, () => [iface ? propsOf(iface) : {}], 'a{sv}', true);
      return true;
    }
    const prop = propName !== undefined ? iface?.properties?.[propName] : undefined;
    if (!prop) {
      this.bus.send(
        newError(
          msg,
          'org.freedesktop.DBus.Error.InvalidArgs',
          `no property ${ifaceName}.${String(propName)}`,
        ),
      );
      return true;
    }
    if (msg.member === 'Get') {
      this.reply(msg, () => [new Variant(prop.signature, prop.get())], 'v', true);
      return true;
    }
    if (msg.member === 'Set') {
      const setter = prop.set;
      if (!setter) {
        this.bus.send(
          newError(
            msg,
            'org.freedesktop.DBus.Error.PropertyReadOnly',
            `${ifaceName}.${String(propName)} is read-only`,
          ),
        );
        return true;
      }
      this.reply(msg, () => setter((value as { value: unknown }).value), '', true);
      return true;
    }
    return false;
  }

  private reply(
    msg: DBusMessage,
    run: () => MethodResult | Promise<MethodResult>,
    outSignature: string,
    wantReply: boolean,
  ): void {
    const ok = (result: MethodResult): void => {
      const body = result instanceof Reply ? result.body : (result ?? []);
      if (wantReply) {
        try {
          this.bus.send(Message.newMethodReturn(msg, outSignature, body));
        } catch (err) {
          // A value that does not marshal must fail this call, not the process or the bus.
          fail(err);
        }
      }
      if (result instanceof Reply) result.afterSend();
    };
    const fail = (err: unknown): void => {
      if (!wantReply) return;
      const [name, text] =
        err instanceof DBusReplyError
          ? [err.dbusName, err.message]
          : ['org.bluez.Error.Failed', err instanceof Error ? err.message : String(err)];
      this.bus.send(newError(msg, name, text));
    };
    let result: MethodResult | Promise<MethodResult>;
    try {
      result = run();
    } catch (err) {
      fail(err);
      return;
    }
    if (result instanceof Promise) result.then(ok, fail);
    else ok(result);
  }

  private hasChildren(path: string): boolean {
    for (const p of this.objects.keys()) if (p !== path && isUnder(p, path)) return true;
    return false;
  }

  private introspect(path: string): string {
    const spec = this.objects.get(path) ?? {};
    const parts = [
      '<!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN"',
      ' "http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">',
      '<node>',
    ];
    for (const [name, iface] of Object.entries(spec)) {
      parts.push(`  <interface name="${name}">`);
      for (const [m, ms] of Object.entries(iface.methods ?? {})) {
        parts.push(`    <method name="${m}">`);
        for (const t of splitSignature(ms.inSignature))
          parts.push(`      <arg type="${t}" direction="in"/>`);
        for (const t of splitSignature(ms.outSignature))
          parts.push(`      <arg type="${t}" direction="out"/>`);
        parts.push('    </method>');
      }
      for (const [p, ps] of Object.entries(iface.properties ?? {})) {
        parts.push(
          `    <property name="${p}" type="${ps.signature}" access="${ps.set ? 'readwrite' : 'read'}"/>`,
        );
      }
      parts.push('  </interface>');
    }
    const children = new Set<string>();
    const prefix = path === '/' ? '/' : path + '/';
    for (const p of this.objects.keys()) {
      if (p.startsWith(prefix)) children.add(p.slice(prefix.length).split('/')[0] as string);
    }
    for (const c of children) parts.push(`  <node name="${c}"/>`);
    parts.push('</node>');
    return parts.join('\n');
  }
}

/** dbus-next's typings declare newError's first parameter as a string; it takes the call. */
function newError(msg: DBusMessage, name: string, text: string): DBusMessage {
  return (Message.newError as unknown as (m: DBusMessage, n: string, t: string) => DBusMessage)(
    msg,
    name,
    text,
  );
}

function propsOf(iface: InterfaceSpec): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, p] of Object.entries(iface.properties ?? {})) {
    const v = p.get();
    if (v !== undefined) out[k] = new Variant(p.signature, v);
  }
  return out;
}

export function isUnder(path: string, root: string): boolean {
  return path === root || path.startsWith(root === '/' ? '/' : root + '/');
}

/** Splits a D-Bus signature into its complete types ('a{sv}ay' -> ['a{sv}', 'ay']). */
export function splitSignature(sig: string): string[] {
  const out: string[] = [];
  let i = 0;
  const one = (): void => {
    const c = sig[i++];
    if (c === 'a') one();
    else if (c === '(' || c === '{') {
      const close = c === '(' ? ')' : '}';
      while (i < sig.length && sig[i] !== close) one();
      i++;
    }
  };
  while (i < sig.length) {
    const start = i;
    one();
    out.push(sig.slice(start, i));
  }
  return out;
}
