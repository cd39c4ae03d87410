import {
  InvalidArgumentError,
  NotFoundError,
  type BytesLike,
  type CharacteristicFlag,
} from '../../core/index.js';
import type { LocalCharacteristic, LocalService } from './local.js';
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

function declsOf(o: object): Declarations {
  let d = decls.get(o);
  if (!d) {
    d = { chars: [], descs: [], writes: new Map() };
    decls.set(o, d);
  }
  return d;
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
 * undefined to serve the stored value). Flags default to ['read'].
 *
 *   class HeartRate extends Service {
 *     constructor() { super('180d'); }
 *     @characteristic('2a37', { flags: ['read', 'notify'] })
 *     measurement() { return undefined; }
 *   }
 */
export function characteristic(uuid: string | number, options: CharOptions = {}) {
  return function <This extends Service>(
    method: ReadMethod<This>,
    context: ClassMethodDecoratorContext<This, ReadMethod<This>>,
  ): void {
    const name = memberName(context);
    context.addInitializer(function (this: This) {
      declsOf(this).chars.push({
        name,
        uuid,
        options,
        read: method as ReadMethod<unknown>,
        descriptors: [],
      });
    });
  };
}

/** Declares a descriptor of the characteristic method `of`; the method is its read handler. */
export function descriptor(uuid: string | number, of: string, options: DescOptions = {}) {
  return function <This extends Service>(
    method: ReadMethod<This>,
    context: ClassMethodDecoratorContext<This, ReadMethod<This>>,
  ): void {
    const name = memberName(context);
    context.addInitializer(function (this: This) {
      declsOf(this).descs.push({ name, uuid, options, read: method as ReadMethod<unknown>, of });
    });
  };
}

/** Makes the decorated method the write handler of the characteristic or descriptor method `target`. */
export function onWrite(target: string) {
  return function <This extends Service>(
    method: WriteMethod<This>,
    context: ClassMethodDecoratorContext<This, WriteMethod<This>>,
  ): void {
    memberName(context);
    context.addInitializer(function (this: This) {
      const w = declsOf(this).writes;
      if (w.has(target)) throw new InvalidArgumentError(`two write handlers for ${target}`);
      w.set(target, method as WriteMethod<unknown>);
    });
  };
}

/** Options of a Service class's constructor. */
export interface ServiceOptions {
  /** Default true. */
  primary?: boolean;
  includes?: ServiceLike[];
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
