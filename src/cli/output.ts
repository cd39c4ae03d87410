import { log, setLogger } from '../core/log.js';
import { exitCodeFor, type ExitCodeValue } from './exit-codes.js';

/** Where a command writes; tests pass string sinks. */
export interface Sink {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgramIo {
  stdout: Sink;
  stderr: Sink;
}

/** Streams for a whole command tree (tests run the program in-process with string sinks). */
const ioByProgram = new WeakMap<object, ProgramIo>();

export function setProgramIo(program: object, io: ProgramIo): void {
  ioByProgram.set(program, io);
}

/** The streams of the tree a command belongs to (process.stdout/stderr unless set). */
export function programIo(cmd: { parent: unknown }): Partial<ProgramIo> {
  let root: { parent: unknown } = cmd;
  while (root.parent) root = root.parent as { parent: unknown };
  return ioByProgram.get(root) ?? {};
}

export interface OutputOptions {
  json?: boolean;
  debug?: boolean;
  stdout?: Sink;
  stderr?: Sink;
}

/** JSON.stringify replacer: bytes as hex, Maps as objects, bigints as strings. */
export function jsonReplacer(_key: string, v: unknown): unknown {
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.length).toString('hex');
  if (v && typeof v === 'object' && (v as { type?: unknown }).type === 'Buffer') {
    const data = (v as { data?: unknown }).data;
    if (Array.isArray(data)) return Buffer.from(data as number[]).toString('hex');
  }
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [String(k), x]));
  if (typeof v === 'bigint') return v.toString();
  return v;
}

export function toJsonLine(v: unknown): string {
  return JSON.stringify(v, jsonReplacer) + '\n';
}

/** One line: an error's message without its line breaks. */
export function oneLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.replace(/\s*\n\s*/g, ' ').trim() || 'unknown error';
}

const cliLog = log('cli');

/** The JSON shape of a failure: `{result:'error', reason, exitCode, code?}` (also the gateway's). */
export function errorRecord(err: unknown): {
  result: 'error';
  reason: string;
  exitCode: ExitCodeValue;
  code?: string;
} {
  const errCode = (err as { code?: unknown } | null)?.code;
  return {
    result: 'error',
    reason: oneLine(err),
    exitCode: exitCodeFor(err),
    ...(typeof errCode === 'string' ? { code: errCode } : {}),
  };
}

/**
 * How a command talks: human text or JSON on stdout, progress and errors on stderr.
 * With --json, one-shot results are `{result:'ok', value}` and failures
 * `{result:'error', reason}` (plus the exit code); streams are one JSON object per line.
 */
export class Output {
  readonly json: boolean;
  readonly debug: boolean;
  readonly stdout: Sink;
  readonly stderr: Sink;

  constructor(o: OutputOptions = {}) {
    this.json = o.json ?? false;
    this.debug = o.debug ?? false;
    this.stdout = o.stdout ?? process.stdout;
    this.stderr = o.stderr ?? process.stderr;
  }

  /** A line of human output on stdout. */
  line(text = ''): void {
    this.stdout.write(text + '\n');
  }

  /** One NDJSON record on stdout. */
  record(v: unknown): void {
    this.stdout.write(toJsonLine(v));
  }

  /** The result of a one-shot command: the envelope with --json, else `human()` text. */
  ok(value: unknown, human: () => string): void {
    if (this.json) this.record({ result: 'ok', value });
    else {
      const text = human();
      if (text !== '') this.stdout.write(text.endsWith('\n') ? text : text + '\n');
    }
  }

  /** Progress and notes for people, on stderr (never mixed into the data on stdout). */
  note(text: string): void {
    this.stderr.write(text + '\n');
  }

  /** A line of the CLI's own trace: the library's 'cli' log area (see traceTo). */
  debugLog(text: string): void {
    cliLog.debug(text);
  }

  /**
   * Sends the library's trace, every area, to stderr as `[debug] blekit:<area> ...` lines, and
   * its warnings as `[warn] ...`: what --debug turns on. Returns the undo.
   */
  traceTo(): () => void {
    setLogger((r) => {
      const tag = r.level === 'warn' ? `[warn] ${r.code ?? ''}` : '[debug]';
      this.stderr.write(`${tag} blekit:${r.area} ${r.message}\n`);
    });
    return () => setLogger(undefined);
  }

  /** Reports a failure (one line on stderr; the envelope too with --json); returns the exit code. */
  fail(err: unknown): ExitCodeValue {
    const code = exitCodeFor(err);
    const reason = oneLine(err);
    this.stderr.write(`blekit: ${reason}\n`);
    if (this.debug) {
      let e: unknown = err;
      while (e instanceof Error) {
        this.stderr.write(`${e.stack ?? e.message}\n`);
        e = e.cause;
        if (e !== undefined) this.stderr.write('caused by: ');
      }
    }
    if (this.json) this.record(errorRecord(err));
    return code;
  }
}
