/**
 * Objects a connection exports: method calls dispatched to their handlers with typed replies
 * (a handler that throws a DbusError answers with its name), and the standard interfaces a
 * peer such as bluetoothd expects of an application: Properties (Get, GetAll, Set,
 * PropertiesChanged), ObjectManager (GetManagedObjects, InterfacesAdded/Removed) and
 * Introspectable.
 */
import { MessageType, type WireMessage } from '../message-codec.js';
import type { DbusClient } from './connection.js';
import { DbusError } from './errors.js';
import { isUnder } from './signals.js';
import { Variant } from './variant.js';

export { isUnder };
export const PROPERTIES_IFACE = 'org.freedesktop.DBus.Properties';
export const OBJECT_MANAGER_IFACE = 'org.freedesktop.DBus.ObjectManager';
const INTROSPECT_IFACE = 'org.freedesktop.DBus.Introspectable';
const INVALID_ARGS = 'org.freedesktop.DBus.Error.InvalidArgs';

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
  handler(args: unknown[], msg: WireMessage): MethodResult | Promise<MethodResult>;
  /** The caller expects no reply (e.g. LEAdvertisement1.Release). */
  noReply?: boolean;
}

export interface InterfaceSpec {
  properties?: Record<string, PropertySpec>;
  methods?: Record<string, MethodSpec>;
}

export type ObjectSpec = Record<string, InterfaceSpec>;

/** What the tree needs from a connection: small, so tests can pass a fake. */
export type BusLike = Pick<
  DbusClient,
  'reply' | 'replyError' | 'signal' | 'addMethodHandler' | 'removeMethodHandler'
>;

export interface ObjectTreeOptions {
  /** The error name a handler's failure answers with, unless it threw a DbusError. */
  failedErrorName?: string;
}

/** Objects this process exports, answered through one method handler of the connection. */
export class ObjectTree {
  private readonly objects = new Map<string, ObjectSpec>();
  private readonly handler = (msg: WireMessage): boolean => this.onMessage(msg);
  private attached = false;
  private readonly failedName: string;

  constructor(
    private readonly bus: BusLike,
    options: ObjectTreeOptions = {},
  ) {
    this.failedName = options.failedErrorName ?? 'org.freedesktop.DBus.Error.Failed';
  }

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

  /**
   * Exports an object. With `announce`, the nearest ObjectManager above it emits
   * InterfacesAdded (peers that watch a tree learn of objects added after they read it).
   */
  export(path: string, spec: ObjectSpec, options: { announce?: boolean } = {}): void {
    this.objects.set(path, spec);
    if (!options.announce) return;
    const manager = this.managerOf(path);
    if (manager === undefined) return;
    this.bus.signal(manager, OBJECT_MANAGER_IFACE, 'InterfacesAdded', 'oa{sa{sv}}', [
      path,
      interfacesOf(spec),
    ]);
  }

  /** Unexports an object; with `announce`, its ObjectManager emits InterfacesRemoved. */
  unexport(path: string, options: { announce?: boolean } = {}): void {
    const spec = this.objects.get(path);
    if (!spec) return;
    this.objects.delete(path);
    if (!options.announce) return;
    const manager = this.managerOf(path);
    if (manager === undefined) return;
    this.bus.signal(manager, OBJECT_MANAGER_IFACE, 'InterfacesRemoved', 'oas', [
      path,
      Object.keys(spec).filter((n) => n !== OBJECT_MANAGER_IFACE),
    ]);
  }

  /** The closest exported object strictly above `path` that is an ObjectManager. */
  private managerOf(path: string): string | undefined {
    let best: string | undefined;
    for (const [p, spec] of this.objects) {
      if (p === path || !isUnder(path, p) || !spec[OBJECT_MANAGER_IFACE]) continue;
      if (best === undefined || p.length > best.length) best = p;
    }
    return best;
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
      out[path] = interfacesOf(spec);
    }
    return out;
  }

  emitPropertiesChanged(path: string, iface: string, changed: Record<string, unknown>): void {
    const spec = this.objects.get(path)?.[iface];
    const body: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(changed)) {
      const sig = spec?.properties?.[k]?.signature;
      if (sig === undefined) {
        throw new DbusError(INVALID_ARGS, `no property ${iface}.${k} at ${path}`);
      }
      body[k] = new Variant(sig, v);
    }
    this.bus.signal(path, PROPERTIES_IFACE, 'PropertiesChanged', 'sa{sv}as', [iface, body, []]);
  }

  private onMessage(msg: WireMessage): boolean {
    if (msg.type !== MessageType.methodCall || msg.path === undefined) return false;
    const path = msg.path;
    const spec = this.objects.get(path);
    if (msg.interface === INTROSPECT_IFACE && msg.member === 'Introspect') {
      if (!spec && !this.hasChildren(path)) return false;
      this.reply(msg, () => [this.introspect(path)], 's', true);
      return true;
    }
    if (!spec) return false;
    if (msg.interface === PROPERTIES_IFACE) return this.onProperties(msg, spec);
    if (msg.interface === OBJECT_MANAGER_IFACE && msg.member === 'GetManagedObjects') {
      if (!spec[OBJECT_MANAGER_IFACE]) return false;
      this.reply(msg, () => [this.managedObjects(path)], 'a{oa{sa{sv}}}', true);
      return true;
    }
    const iface = msg.interface ? spec[msg.interface] : undefined;
    const method = msg.member === undefined ? undefined : iface?.methods?.[msg.member];
    if (!method) return false;
    if (msg.signature !== method.inSignature) {
      this.bus.replyError(
        msg,
        INVALID_ARGS,
        `expected signature "${method.inSignature}", got "${msg.signature}"`,
      );
      return true;
    }
    this.reply(msg, () => method.handler(msg.body, msg), method.outSignature, !method.noReply);
    return true;
  }

  private onProperties(msg: WireMessage, spec: ObjectSpec): boolean {
    const expected = PROPERTY_SIGNATURES[msg.member ?? ''];
    if (expected === undefined) return false;
    if (msg.signature !== expected) {
      this.bus.replyError(msg, INVALID_ARGS, `expected signature "${expected}"`);
      return true;
    }
    const [ifaceName, propName, value] = msg.body as [string, string?, unknown?];
    const iface = spec[ifaceName];
    if (msg.member === 'GetAll') {
      this.reply(msg, () => [iface ? propsOf(iface) : {}], 'a{sv}', true);
      return true;
    }
    const prop = propName !== undefined ? iface?.properties?.[propName] : undefined;
    if (!prop) {
      this.bus.replyError(msg, INVALID_ARGS, `no property ${ifaceName}.${String(propName)}`);
      return true;
    }
    if (msg.member === 'Get') {
      this.reply(msg, () => [new Variant(prop.signature, prop.get())], 'v', true);
      return true;
    }
    if (msg.member === 'Set') {
      const setter = prop.set;
      if (!setter) {
        this.bus.replyError(
          msg,
          'org.freedesktop.DBus.Error.PropertyReadOnly',
          `${ifaceName}.${String(propName)} is read-only`,
        );
        return true;
      }
      const v = value as Variant;
      if (v.signature !== prop.signature) {
        this.bus.replyError(
          msg,
          INVALID_ARGS,
          `${ifaceName}.${String(propName)} has type "${prop.signature}", got "${v.signature}"`,
        );
        return true;
      }
      this.reply(msg, () => setter(v.value), '', true);
      return true;
    }
    return false;
  }

  private reply(
    msg: WireMessage,
    run: () => MethodResult | Promise<MethodResult>,
    outSignature: string,
    wantReply: boolean,
  ): void {
    const ok = (result: MethodResult): void => {
      const body = result instanceof Reply ? result.body : (result ?? []);
      if (wantReply) {
        try {
          this.bus.reply(msg, outSignature, body);
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
        err instanceof DbusError
          ? [err.type, err.text]
          : [this.failedName, err instanceof Error ? err.message : String(err)];
      try {
        this.bus.replyError(msg, name, text);
      } catch {
        // The connection is gone: there is no one left to answer.
      }
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

const PROPERTY_SIGNATURES: Record<string, string> = { Get: 'ss', GetAll: 's', Set: 'ssv' };

function interfacesOf(spec: ObjectSpec): Record<string, Record<string, unknown>> {
  const ifaces: Record<string, Record<string, unknown>> = {};
  for (const [name, iface] of Object.entries(spec)) {
    if (name === OBJECT_MANAGER_IFACE) continue;
    ifaces[name] = propsOf(iface);
  }
  return ifaces;
}

function propsOf(iface: InterfaceSpec): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, p] of Object.entries(iface.properties ?? {})) {
    const v = p.get();
    if (v !== undefined) out[k] = new Variant(p.signature, v);
  }
  return out;
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
