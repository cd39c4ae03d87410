import {
  InvalidArgumentError,
  NotFoundError,
  type BytesLike,
  type CharacteristicFlag,
} from '../../core/index.js';
import type { LocalCharacteristic, LocalService } from '../../bluez/gatt-local.js';
import type {
  CharacteristicDefinition,
  DescriptorDefinition,
  ReadRequest,
  ServiceDefinition,
  ServiceLike,
  WriteRequest,
} from './types.js';

type CharOptions = Omit<CharacteristicDefinition, 'uuid' | 'onRead' | 'onWrite' | 'descriptors'>;
type DescOptions = Omit<DescriptorDefinition, 'uuid' | 'onRead' | 'onWrite'>;

/** A read method: return the whole value, or undefined to serve the stored value. */
type ReadMethod<This> = (
  this: This,
  req: ReadRequest,
) => BytesLike | undefined | Promise<BytesLike | undefined>;
type WriteMethod<This> = (this: This, req: WriteRequest) => void | Promise<void>;

interface CharDecl {
  name: string;
  uuid: string | number;
  options: CharOptions;
  read: ReadMethod<unknown>;
  write?: WriteMethod<unknown>;
  descriptors: DescDecl[];
}

interface DescDecl {
  name: string;
  uuid: string | number;
  options: DescOptions;
  read: ReadMethod<unknown>;
  write?: WriteMethod<unknown>;
}

interface Declarations {
  chars: CharDecl[];
  descs: (DescDecl & { of: string })[];
  writes: Map<string, WriteMethod<unknown>>;
}

const decls = new WeakMap<object, Declarations>();
const bound = new WeakMap<object, LocalService>();

/** Declarations made by legacy (experimentalDecorators) decorators, per class prototype. */
const legacyDecls = new WeakMap<object, Declarations>();

const emptyDecls = (): Declarations => ({ chars: [], descs: [], writes: new Map() });

/**
 * The declarations of one Service instance. Standard decorators add theirs from per-instance
 * initializers; legacy ones ran once per class, so an instance starts from those of its
 * prototype chain, base class first.
 */
function declsOf(o: object): Declarations {
  let d = decls.get(o);
  if (!d) {
    d = emptyDecls();
    const chain: Declarations[] = [];
    for (let p = Object.getPrototypeOf(o); p; p = Object.getPrototypeOf(p)) {
      const l = legacyDecls.get(p);
      if (l) chain.unshift(l);
    }
    for (const l of chain) {
      d.chars.push(...l.chars.map((c) => ({ ...c, descriptors: [] })));
      d.descs.push(...l.descs);
      for (const [k, w] of l.writes) {
        if (d.writes.has(k)) throw new InvalidArgumentError(`two write handlers for ${k}`);
        d.writes.set(k, w);
      }
    }
    decls.set(o, d);
  }
  return d;
}

/**
 * A GATT method decorator in both dialects: TypeScript's standard decorators (TS 5+,
 * `(method, context)`) and legacy `experimentalDecorators` (NestJS, TypeORM projects:
 * `(prototype, name, descriptor)`). Both record the same declaration; which one ran is told
 * by the arguments.
 */
/** A method of any class (the shape TypeScript's decorator context types require). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyMethod = (this: any, ...args: any) => any;

export interface GattMethodDecorator<M extends AnyMethod> {
  /** Standard decorators. */
  <This extends Service>(method: M, context: ClassMethodDecoratorContext<This, M>): void;
  /** Legacy experimentalDecorators. */
  <T extends AnyMethod>(
    prototype: Service,
    name: string,
    descriptor: TypedPropertyDescriptor<T>,
  ): void;
}

type Record1 = (d: Declarations, name: string, method: never) => void;

/** Builds a decorator of both dialects from what it records. */
function gattDecorator<M extends AnyMethod>(record: Record1): GattMethodDecorator<M> {
  return ((...args: unknown[]) => {
    const [first, second, third] = args;
    if (typeof second === 'object' && second !== null && 'kind' in second) {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any class, any method
      const context = second as ClassMethodDecoratorContext<any, any>;
      const name = memberName(context);
      context.addInitializer(function (this: object) {
        record(declsOf(this), name, first as never);
      });
      return;
    }
    const method = (third as PropertyDescriptor | undefined)?.value;
    if (typeof first !== 'object' || first === null || typeof second !== 'string') {
      throw new InvalidArgumentError(
        'GATT decorators go on public instance methods with string names',
      );
    }
    if (typeof method !== 'function') {
      throw new InvalidArgumentError(`GATT decorators go on methods: ${second} is not one`);
    }
    let d = legacyDecls.get(first);
    if (!d) legacyDecls.set(first, (d = emptyDecls()));
    record(d, second, method as never);
  }) as GattMethodDecorator<M>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any class, any method
function memberName(context: ClassMethodDecoratorContext<any, any>): string {
  if (context.static || context.private || typeof context.name !== 'string') {
    throw new InvalidArgumentError(
      'GATT decorators go on public instance methods with string names',
    );
  }
  return context.name;
}

/**
 * Declares the decorated method as a characteristic; the method is its read handler (return
 * undefined to serve the stored value). Flags default to ['read']. Works with standard
 * decorators and with `experimentalDecorators` alike.
 *
 * @example
 * ```ts
 * class HeartRate extends Service {
 *   constructor() { super('180d'); }
 *   @characteristic('2a37', { flags: ['read', 'notify'] })
 *   measurement() { return undefined; }
 * }
 * ```
 */
export function characteristic(
  uuid: string | number,
  options: CharOptions = {},
): GattMethodDecorator<ReadMethod<Service>> {
  return gattDecorator((d, name, read: ReadMethod<unknown>) => {
    d.chars.push({ name, uuid, options, read, descriptors: [] });
  });
}

/** Declares a descriptor of the characteristic method `of`; the method is its read handler. */
export function descriptor(
  uuid: string | number,
  of: string,
  options: DescOptions = {},
): GattMethodDecorator<ReadMethod<Service>> {
  return gattDecorator((d, name, read: ReadMethod<unknown>) => {
    d.descs.push({ name, uuid, options, read, of });
  });
}

/** Makes the decorated method the write handler of the characteristic or descriptor method `target`. */
export function onWrite(target: string): GattMethodDecorator<WriteMethod<Service>> {
  return gattDecorator((d, _name, method: WriteMethod<unknown>) => {
    if (d.writes.has(target)) throw new InvalidArgumentError(`two write handlers for ${target}`);
    d.writes.set(target, method);
  });
}

/** Options of a Service class's constructor. */
export interface ServiceOptions {
  /** Default true. */
  primary?: boolean;
  /** Services this one includes; they are registered before it. */
  includes?: ServiceLike[];
  /** Ask BlueZ for this handle (0 or absent: BlueZ picks). */
  handle?: number;
}

/**
 * Base class for services declared with decorators. After `peripheral.addService(instance)`,
 * `this.characteristic('methodName')` gives the live characteristic (notify, events).
 */
export abstract class Service {
  /** The service UUID as given. */
  readonly uuid: string | number;
  /** The options as given. */
  readonly options: ServiceOptions;

  constructor(uuid: string | number, options: ServiceOptions = {}) {
    this.uuid = uuid;
    this.options = options;
  }

  /** The live characteristic declared by method `name`; NotFoundError before addService. */
  characteristic(name: string): LocalCharacteristic {
    const local = bound.get(this);
    if (!local) throw new NotFoundError(`service ${String(this.uuid)} has not been added yet`);
    const d = declsOf(this);
    const i = d.chars.findIndex((c) => c.name === name);
    const c = i >= 0 ? local.characteristics[i] : undefined;
    if (!c) throw new NotFoundError(`no characteristic declared by method ${name}`);
    return c;
  }

  /** Shorthand for this.characteristic(name).notify(value). */
  notify(name: string, value: BytesLike): Promise<void> {
    return this.characteristic(name).notify(value);
  }

  /** The plain definition this class declares (what addService registers). */
  toDefinition(): ServiceDefinition {
    const d = declsOf(this);
    const names = new Set(d.chars.map((c) => c.name));
    for (const desc of d.descs) {
      if (!names.has(desc.of)) {
        throw new InvalidArgumentError(
          `descriptor ${desc.name} names unknown characteristic ${desc.of}`,
        );
      }
    }
    const all = new Set([...names, ...d.descs.map((x) => x.name)]);
    for (const t of d.writes.keys()) {
      if (!all.has(t))
        throw new InvalidArgumentError(`onWrite('${t}') names no characteristic or descriptor`);
    }
    const readHandler = (fn: ReadMethod<unknown>, get: () => Buffer) => async (req: ReadRequest) =>
      (await fn.call(this, req)) ?? get();
    const def: ServiceDefinition = {
      uuid: this.uuid,
      primary: this.options.primary ?? true,
      characteristics: d.chars.map((c): CharacteristicDefinition => {
        const flags: readonly CharacteristicFlag[] = c.options.flags ?? ['read'];
        const write = d.writes.get(c.name);
        return {
          ...c.options,
          uuid: c.uuid,
          flags,
          onRead: readHandler(c.read, () => this.characteristic(c.name).value),
          ...(write ? { onWrite: (req: WriteRequest) => write.call(this, req) } : {}),
          descriptors: d.descs
            .filter((x) => x.of === c.name)
            .map((x): DescriptorDefinition => {
              const dw = d.writes.get(x.name);
              const idx = d.descs.filter((y) => y.of === c.name).indexOf(x);
              return {
                ...x.options,
                uuid: x.uuid,
                onRead: readHandler(
                  x.read,
                  () => this.characteristic(c.name).descriptors[idx]?.value ?? Buffer.alloc(0),
                ),
                ...(dw ? { onWrite: (req: WriteRequest) => dw.call(this, req) } : {}),
              };
            }),
        };
      }),
    };
    if (this.options.includes) def.includes = this.options.includes;
    if (this.options.handle !== undefined) def.handle = this.options.handle;
    return def;
  }
}

/** @internal Links a Service instance to the LocalService built from it. */
export function bindService(source: unknown, local: LocalService): void {
  if (source instanceof Service) bound.set(source, local);
}
