/**
 * The library's own trace, with Node's conventions and no dependency: `NODE_DEBUG=blekit:*`
 * (or `blekit:central,blekit:dbus`) prints through `util.debuglog`, one section per area; a
 * warning goes out once per code through `process.emitWarning`, which `--no-warnings` silences
 * and `process.on('warning')` observes. `setLogger()` sends everything to the application's
 * logger instead (pino, winston, console...).
 *
 * Why debuglog and not the `debug` package: it is built in (nothing to install or load), it
 * is what Node's own modules use, and `.enabled` makes a disabled call one property read.
 */
import { debuglog } from 'node:util';

/** The library's trace areas: NODE_DEBUG=blekit:<area> turns one on. */
export const LOG_AREAS = [
  'central',
  'dbus',
  'bluez',
  'gatttool',
  'bgapi',
  'peripheral',
  'mgmt',
  'native',
  'gateway',
  'cli',
  'lab',
] as const;
/** One trace area, e.g. 'central'. */
export type LogArea = (typeof LOG_AREAS)[number];
/** Kinds of trace record: debug lines and warnings. */
export type LogLevel = 'debug' | 'warn';

/** One trace record as an application logger receives it. */
export interface LogRecord {
  level: LogLevel;
  area: LogArea;
  message: string;
  /** For warnings: a stable code such as 'BLEKIT_NO_NATIVE_ADDON'. */
  code?: string;
}

/** An application's logger: receives every debug record and every warning. */
export type LogSink = (record: LogRecord) => void;

/** The trace of one area, from log(area). */
export interface AreaLog {
  /** True when debug records of this area go anywhere: test it before building costly text. */
  readonly enabled: boolean;
  /** A trace record; dropped at once unless setLogger() or NODE_DEBUG=blekit:<area> wants it. */
  debug(message: string): void;
  /** Once per `code` per process: what the user should know and how to fix it. */
  warn(code: string, message: string): void;
}

let sink: LogSink | undefined;
const warned = new Set<string>();
const areas = new Map<LogArea, AreaLog>();

/**
 * Routes blekit's trace to `logger` (or back to NODE_DEBUG and process warnings when
 * undefined). With a logger set, debug records of every area reach it.
 */
export function setLogger(logger: LogSink | undefined): void {
  sink = logger;
}

/** The log of one area; cheap to call, the same object every time. */
export function log(area: LogArea): AreaLog {
  let l = areas.get(area);
  if (l) return l;
  // debuglog decides on first use whether NODE_DEBUG names the section.
  const nodeDebug = debuglog(`blekit:${area}`);
  l = {
    get enabled() {
      return sink !== undefined || nodeDebug.enabled;
    },
    debug(message: string) {
      if (sink) sink({ level: 'debug', area, message });
      else if (nodeDebug.enabled) nodeDebug('%s', message);
    },
    warn(code: string, message: string) {
      if (warned.has(code)) return;
      warned.add(code);
      if (sink) sink({ level: 'warn', area, message, code });
      else process.emitWarning(message, { code, type: 'BlekitWarning' });
    },
  };
  areas.set(area, l);
  return l;
}

/**
 * Reports that a bounded stream dropped items for a slow consumer: a warning (once per `code`)
 * on the first drop, and a debug record for each one when the area's trace is on.
 */
export function reportDrop(area: LogArea, code: string, what: string, dropped: number): void {
  const l = log(area);
  if (dropped === 1) {
    l.warn(
      code,
      `${what} dropped its oldest buffered item: the consumer is slower than the source; ` +
        'read faster or pass a larger bufferSize (the stream counts drops in .dropped)',
    );
  }
  if (l.enabled) l.debug(`${what}: ${dropped} dropped so far`);
}
