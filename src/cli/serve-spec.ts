import {
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  visit,
  type Node,
  type Scalar,
} from 'yaml';
import { z } from 'zod';
import {
  CHARACTERISTIC_FLAGS,
  InvalidArgumentError,
  isUuid,
  normalizeUuid,
} from '../core/index.js';
import {
  DESCRIPTOR_FLAGS,
  validateService,
  type AdvertisementOptions,
  type ServiceDefinition,
} from '../peripheral/index.js';
import { encodeInt, INT_FORMAT_NAMES, specValue, type IntFormat } from './spec-values.js';
import { isAdapterName, MAX_ADAPTER_INDEX } from '../core/adapter-name.js';

/** A spec problem, with where it is: `file:line:col: path: message`. */
export class SpecError extends InvalidArgumentError {
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly col: number | undefined,
    readonly where: string,
    readonly detail: string,
  ) {
    const pos = line === undefined ? file : `${file}:${line}:${col ?? 1}`;
    super(`${pos}: ${where ? where + ': ' : ''}${detail}`);
    this.name = 'SpecError';
  }
}

const uuid = z
  .union([z.string(), z.number()])
  .refine((u) => isUuid(u), { message: 'not a UUID (16-bit like 180d, or 128-bit)' })
  .transform((u) => normalizeUuid(u));

const seconds = z.number().min(0.05, 'at least 0.05 s').max(86_400);

const counter = z.strictObject({
  format: z.enum(INT_FORMAT_NAMES as [IntFormat, ...IntFormat[]]).default('uint8'),
  start: z.number().int().default(0),
  step: z.number().int().default(1),
  min: z.number().int().optional(),
  max: z.number().int().optional(),
  /** Bytes before and after the number (e.g. the Heart Rate Measurement flags byte). */
  prefix: specValue.optional(),
  suffix: specValue.optional(),
});

const update = z
  .strictObject({
    every: seconds,
    values: z.array(specValue).min(1).optional(),
    counter: counter.optional(),
    notify: z.boolean().default(true),
  })
  .refine((u) => (u.values === undefined) !== (u.counter === undefined), {
    message: 'give exactly one of values or counter',
  });

const descriptor = z.strictObject({
  uuid,
  flags: z
    .array(
      z.enum(DESCRIPTOR_FLAGS, {
        error: (i) => `unknown descriptor flag ${JSON.stringify(i.input)}`,
      }),
    )
    .optional(),
  value: specValue.optional(),
});

const characteristic = z.strictObject({
  uuid,
  flags: z
    .array(
      z.enum(CHARACTERISTIC_FLAGS, { error: (i) => `unknown flag ${JSON.stringify(i.input)}` }),
    )
    .min(1)
    .optional(),
  value: specValue.optional(),
  update: update.optional(),
  descriptors: z.array(descriptor).optional(),
});

const service = z.strictObject({
  uuid,
  primary: z.boolean().optional(),
  characteristics: z.array(characteristic).optional(),
});

const advertise = z.strictObject({
  name: z.string().min(1).optional(),
  services: z.array(uuid).optional(),
  manufacturerData: z
    .record(z.string().regex(/^(0x[0-9a-f]{1,4}|\d{1,5})$/i, 'company id like 0xffff'), specValue)
    .optional(),
  serviceData: z.record(z.string(), specValue).optional(),
  appearance: z.number().int().min(0).max(0xffff).optional(),
  discoverable: z.boolean().optional(),
});

const specSchema = z.strictObject({
  name: z.string().min(1).optional(),
  adapter: z.string().refine(isAdapterName, `hciN with N 0..${MAX_ADAPTER_INDEX}`).optional(),
  advertise: advertise.optional(),
  services: z.array(service).min(1),
});

type RawSpec = z.output<typeof specSchema>;

/** A characteristic value that changes on a timer. */
export interface UpdatePlan {
  serviceIndex: number;
  characteristicIndex: number;
  everyMs: number;
  notify: boolean;
  /** The value for tick n (0, 1, 2 ...). */
  valueAt(n: number): Buffer;
}

export interface ServeSpec {
  adapter?: string;
  services: ServiceDefinition[];
  advertisement: AdvertisementOptions;
  updates: UpdatePlan[];
}

function pathText(path: readonly PropertyKey[]): string {
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`))
    .join('');
}

/** The deepest node of the document on `path` (the whole document when none). */
function nodeAt(doc: ReturnType<typeof parseDocument>, path: readonly PropertyKey[]): Node | null {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n) as unknown[], true) as Node | undefined;
    if (node && typeof node === 'object' && 'range' in node) return node;
  }
  return doc.contents;
}

function counterValues(c: z.output<typeof counter>, what: string): (n: number) => Buffer {
  const limits: Record<IntFormat, [number, number]> = {
    uint8: [0, 0xff],
    uint16: [0, 0xffff],
    uint32: [0, 0xffffffff],
    int8: [-0x80, 0x7f],
    int16: [-0x8000, 0x7fff],
    int32: [-0x80000000, 0x7fffffff],
  };
  const [lo, hi] = limits[c.format];
  const min = c.min ?? lo;
  const max = c.max ?? hi;
  if (min < lo || max > hi || min > max || c.start < min || c.start > max) {
    throw new InvalidArgumentError(
      `${what}: need ${lo} <= min <= start <= max <= ${hi} for ${c.format}`,
    );
  }
  const span = max - min + 1;
  const prefix = c.prefix ?? Buffer.alloc(0);
  const suffix = c.suffix ?? Buffer.alloc(0);
  return (n) => {
    // Wraps around within min..max, whichever way step goes.
    const offset = (((c.start - min + n * c.step) % span) + span) % span;
    return Buffer.concat([prefix, encodeInt(c.format, min + offset), suffix]);
  };
}

function build(raw: RawSpec, locate: (path: PropertyKey[]) => [number?, number?], file: string) {
  const fail = (path: PropertyKey[], msg: string): never => {
    const [line, col] = locate(path);
    throw new SpecError(file, line, col, pathText(path), msg);
  };
  const updates: UpdatePlan[] = [];
  const services: ServiceDefinition[] = raw.services.map((s, si) => {
    const def: ServiceDefinition = {
      uuid: s.uuid,
      ...(s.primary !== undefined ? { primary: s.primary } : {}),
      characteristics: (s.characteristics ?? []).map((c, ci) => {
        if (c.update) {
          const u = c.update;
          const path = ['services', si, 'characteristics', ci, 'update'];
          let valueAt: (n: number) => Buffer;
          try {
            valueAt = u.values
              ? (n) => u.values?.[n % u.values.length] as Buffer
              : counterValues(u.counter as z.output<typeof counter>, 'counter');
          } catch (e) {
            return fail([...path, 'counter'], (e as Error).message);
          }
          const flags = c.flags ?? ['read'];
          if (u.notify && !flags.some((f) => f.endsWith('notify') || f.endsWith('indicate'))) {
            fail(
              [...path, 'notify'],
              'notify needs a notify or indicate flag on the characteristic',
            );
          }
          updates.push({
            serviceIndex: si,
            characteristicIndex: ci,
            everyMs: u.every * 1000,
            notify: u.notify,
            valueAt,
          });
        }
        return {
          uuid: c.uuid,
          ...(c.flags ? { flags: c.flags } : {}),
          ...(c.value !== undefined ? { value: c.value } : {}),
          descriptors: (c.descriptors ?? []).map((d) => ({
            uuid: d.uuid,
            ...(d.flags ? { flags: d.flags } : {}),
            ...(d.value !== undefined ? { value: d.value } : {}),
          })),
        };
      }),
    };
    try {
      validateService(def, `service ${s.uuid}`);
    } catch (e) {
      if (e instanceof InvalidArgumentError) fail(['services', si], e.message);
      throw e;
    }
    return def;
  });
  const ad = raw.advertise ?? {};
  const name = ad.name ?? raw.name;
  const advertisement: AdvertisementOptions = {
    serviceUuids:
      ad.services ?? services.filter((s) => s.primary !== false).map((s) => String(s.uuid)),
  };
  if (name) advertisement.localName = name;
  if (ad.appearance !== undefined) advertisement.appearance = ad.appearance;
  if (ad.discoverable !== undefined) advertisement.discoverable = ad.discoverable;
  if (ad.manufacturerData) {
    advertisement.manufacturerData = new Map(
      Object.entries(ad.manufacturerData).map(([k, v]) => [Number(k), v]),
    );
  }
  if (ad.serviceData) {
    const entries = Object.entries(ad.serviceData).map(([k, v]): [string, Buffer] => {
      if (!isUuid(k)) fail(['advertise', 'serviceData', k], 'not a UUID');
      return [normalizeUuid(k), v];
    });
    advertisement.serviceData = new Map(entries);
  }
  const spec: ServeSpec = { services, advertisement, updates };
  if (raw.adapter) spec.adapter = raw.adapter;
  return spec;
}

/** Where the alias that broke toJS() is: the first that resolves to nothing, else the first. */
function aliasAt(
  doc: ReturnType<typeof parseDocument>,
  lineCounter: LineCounter,
): [number?, number?] {
  let first: Node | undefined;
  let unresolved: Node | undefined;
  visit(doc, {
    Alias(_, node) {
      first ??= node;
      if (node.resolve(doc) === undefined) {
        unresolved = node;
        return visit.BREAK;
      }
      return undefined;
    },
  });
  const start = (unresolved ?? first)?.range?.[0];
  if (start === undefined) return [];
  const p = lineCounter.linePos(start);
  return [p.line, p.col];
}

/**
 * The document as plain data. The YAML library only finds alias problems here (an alias to no
 * anchor, or so many alias expansions that it stops a "billion laughs" spec) and reports them
 * as ReferenceError; they are the spec's fault, so they become SpecError (exit 2), not a crash.
 */
function specData(
  doc: ReturnType<typeof parseDocument>,
  lineCounter: LineCounter,
  file: string,
): unknown {
  try {
    return doc.toJS();
  } catch (e) {
    if (!(e instanceof ReferenceError)) throw e;
    const [line, col] = aliasAt(doc, lineCounter);
    throw new SpecError(file, line, col, '', e.message);
  }
}

/**
 * Parses a serve spec (YAML or JSON: JSON is read as YAML, so both get positions) and checks
 * it completely; SpecError names the file, line and column of the first problem.
 */
export function parseServeSpec(text: string, file: string): ServeSpec {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  const first = doc.errors[0];
  if (first) {
    const pos = first.linePos?.[0];
    // prettyErrors adds " at line L, column C:" and a source excerpt; we print the position ourselves.
    const msg = (first.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
    throw new SpecError(file, pos?.line, pos?.col, '', msg || 'syntax error');
  }
  const locate = (path: PropertyKey[]): [number?, number?] => {
    const node = nodeAt(doc, path);
    const start = node?.range?.[0];
    if (start === undefined) return [];
    const p = lineCounter.linePos(start);
    return [p.line, p.col];
  };
  // YAML reads an unquoted 2901 or 1800 as a decimal number; a UUID is always hex digits, so
  // take the text as written.
  const asWritten = (node: unknown): void => {
    if (isScalar(node) && typeof node.value === 'number' && node.range) {
      (node as Scalar).value = text.slice(node.range[0], node.range[1]);
    }
  };
  visit(doc, {
    Pair(_, pair) {
      const key = isScalar(pair.key) ? pair.key.value : pair.key;
      if (key === 'uuid') asWritten(pair.value);
      if (key === 'services' && isSeq(pair.value)) pair.value.items.forEach(asWritten);
    },
  });
  const data = specData(doc, lineCounter, file);
  const parsed = specSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0] as z.core.$ZodIssue;
    let path = issue.path;
    if (issue.code === 'unrecognized_keys' && issue.keys[0] !== undefined) {
      // Point at the offending key itself.
      const map = nodeAt(doc, path);
      if (isMap(map)) {
        const pair = map.items.find(
          (p) => String((p.key as { value?: unknown })?.value) === issue.keys[0],
        );
        const start = (pair?.key as Node | undefined)?.range?.[0];
        if (start !== undefined) {
          const p = lineCounter.linePos(start);
          throw new SpecError(file, p.line, p.col, pathText(path), issue.message);
        }
      }
    }
    if (data === null || typeof data !== 'object') path = [];
    const [line, col] = locate(path as PropertyKey[]);
    throw new SpecError(file, line, col, pathText(path as PropertyKey[]), issue.message);
  }
  return build(parsed.data, locate, file);
}
