/**
 * One `gatttool -I` child process and the conversation with it: commands go one at a time,
 * each bracketed by its echo and the prompt after it (synchronous output), then its result
 * line (asynchronous output). Every wait has a time limit, and the child never outlives us.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { log } from '../../core/log.js';
import { closeSync, openSync, writeSync } from 'node:fs';
import {
  AbortError,
  BackendError,
  InvalidArgumentError,
  NotConnectedError,
  NotFoundError,
  TimeoutError,
  withTimeout,
  type BleError,
} from '../../core/index.js';
import { mapGatttoolError } from './errors.js';
import { GatttoolParser, type GatttoolEvent } from './parser.js';
import { describeValue } from '../../core/describe.js';

const gatttoolLog = log('gatttool');

/** How GatttoolSession.open() starts gatttool; the backend fills it from its own options. */
export interface SessionOptions {
  /** gatttool executable; default 'gatttool' (from PATH). */
  gatttool?: string;
  /** 'hci0' style adapter name, passed as -i. */
  adapter: string;
  /** Extra gatttool arguments (e.g. ['--sec-level=medium']), already validated. */
  cliOptions?: readonly string[];
  /** Appends the whole conversation (what gatttool printed, raw, and every line sent) here. */
  logFile?: string;
  /** Longest line of output held before the session fails; default 1 MiB. */
  maxLineLength?: number;
  /** How often an idle connected session checks that the link is still up; default 1000 ms. */
  livenessIntervalMs?: number;
  /**
   * Run gatttool under `setpriv --pdeathsig KILL` so the kernel kills it when this process
   * dies, even by SIGKILL. gatttool does not exit on end of input, so closing the pipes alone
   * cannot do this. Default true; set false where setpriv (util-linux) is missing.
   */
  dieWithParent?: boolean;
}

export interface CommandOptions {
  /** Names the operation in errors ('read 0x0003'). */
  what: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

/** What a command waits for after its synchronous part. */
export interface CommandSpec<T> {
  /** Checks the synchronous output (errors in it are already thrown). */
  sync?(events: GatttoolEvent[]): void;
  /** The asynchronous result: returns it when `ev` is it; undefined to keep waiting. */
  result?(ev: GatttoolEvent): T | undefined;
  /**
   * A list result (discovery): items are collected from the first one until a sentinel
   * command answers, since gatttool prints the whole list at once but no end marker.
   */
  list?(ev: GatttoolEvent): boolean;
  /** An error message that means "empty list" rather than failure ('No primary service found'). */
  emptyWhen?: RegExp;
  /** The link must stay up while waiting (default true; false for connect). */
  needsLink?: boolean;
}

type Phase = 'echo' | 'sync' | 'async';

interface Running {
  line: string;
  phase: Phase;
  syncEvents: GatttoolEvent[];
  items: GatttoolEvent[];
  sentinel: boolean;
  feed(ev: GatttoolEvent): void;
  fail(err: Error): void;
}

const SENTINEL = 'sec-level';
const live = new Set<ChildProcessWithoutNullStreams>();
let exitHookInstalled = false;

/** Last resort on a normal process exit: no gatttool is left behind. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const c of live) c.kill('SIGKILL');
  });
}

/** Lines sent to gatttool: one line of printable text (no way to smuggle a second command). */
export function checkCommandLine(line: string): string {
  if (typeof line !== 'string') throw new InvalidArgumentError('a command must be a string');
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(line)) {
    throw new InvalidArgumentError(
      `gatttool command has control characters: ${describeValue(line)}`,
    );
  }
  if (line.trim() === '') throw new InvalidArgumentError('empty gatttool command');
  return line.trim();
}

/**
 * One `gatttool -I` child process: commands go one at a time, each with a time limit, and
 * every line gatttool prints arrives as a typed event (onEvent). The process is killed when
 * this one exits. Made by the gatttool backend, one per connection; exposed for tools and
 * tests that drive gatttool directly.
 */
export class GatttoolSession {
  private child!: ChildProcessWithoutNullStreams;
  private readonly parser: GatttoolParser;
  private readonly listeners = new Set<(ev: GatttoolEvent) => void>();
  private readonly exitListeners = new Set<(err: BleError) => void>();
  /** Log file descriptor: written synchronously so the log is complete even if we crash. */
  private logFd: number | undefined;
  private mutex: Promise<unknown> = Promise.resolve();
  private running: Running | undefined;
  /** Result kinds of commands that timed out: their late answers must not go to the next one. */
  private readonly orphans: string[] = [];
  private poll: NodeJS.Timeout | undefined;
  private exitError: BleError | undefined;
  private exitPromise!: Promise<void>;
  private stderr = '';
  /** Connection state as the last prompt showed it. */
  connected = false;
  /** The peer address the last prompt showed; undefined before a connect. */
  address: string | undefined;

  private constructor(private readonly options: SessionOptions) {
    this.parser = new GatttoolParser({ maxLineLength: options.maxLineLength });
  }

  /**
   * Starts gatttool and waits (up to `initTimeoutMs` ms) for its first prompt.
   * @throws NotFoundError when gatttool (or setpriv, see `dieWithParent`) is not installed;
   * InvalidArgumentError when gatttool rejects `cliOptions`; TimeoutError when no prompt comes
   * in time; BackendError when it exits first (its stderr in the message).
   */
  static async open(options: SessionOptions, initTimeoutMs: number): Promise<GatttoolSession> {
    const s = new GatttoolSession(options);
    await s.spawn(initTimeoutMs);
    return s;
  }

  /** The gatttool (or setpriv) process id; undefined when spawning failed. */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** False once the process has ended, for whatever reason. */
  get alive(): boolean {
    return this.exitError === undefined;
  }

  /** Every parsed event (notifications included); returns the unsubscribe function. */
  onEvent(cb: (ev: GatttoolEvent) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  /** Called once when the process ends (the error says how). */
  onExit(cb: (err: BleError) => void): () => void {
    this.exitListeners.add(cb);
    return () => this.exitListeners.delete(cb);
  }

  private async spawn(initTimeoutMs: number): Promise<void> {
    const o = this.options;
    const gatttool = o.gatttool ?? 'gatttool';
    const args = ['-i', o.adapter, ...(o.cliOptions ?? []), '-I'];
    const [cmd, argv] =
      o.dieWithParent === false
        ? [gatttool, args]
        : ['setpriv', ['--pdeathsig', 'KILL', '--', gatttool, ...args]];
    if (o.logFile) {
      this.logFd = openSync(o.logFile, 'a');
      this.logText(`\n# ${new Date().toISOString()} ${[gatttool, ...args].join(' ')}\n`);
    }
    const child = spawn(cmd, argv, {
      stdio: ['pipe', 'pipe', 'pipe'],
      // Plain ASCII output and no terminal tricks beyond what readline always does.
      env: { ...process.env, LANG: 'C', LC_ALL: 'C', TERM: 'dumb', COLUMNS: '100000' },
    });
    this.child = child;
    live.add(child);
    installExitHook();
    this.exitPromise = new Promise((resolve) => {
      const done = (err: BleError): void => {
        if (this.exitError) return;
        live.delete(child);
        this.exitError = err;
        this.stopPoll();
        this.connected = false;
        this.running?.fail(err);
        this.logText(`\n# gatttool ended: ${err.message}\n`);
        if (this.logFd !== undefined) closeSync(this.logFd);
        this.logFd = undefined;
        for (const cb of this.exitListeners) cb(err);
        resolve();
      };
      child.once('error', (e: NodeJS.ErrnoException) =>
        done(
          e.code === 'ENOENT'
            ? new NotFoundError(`${cmd} not found (install BlueZ's gatttool / util-linux)`, {
                cause: e,
              })
            : new BackendError(`gatttool: ${e.message}`, { backend: 'gatttool', cause: e }),
        ),
      );
      child.once('exit', (code, signal) =>
        done(
          new NotConnectedError(
            `gatttool exited (${signal ? `signal ${signal}` : `code ${String(code)}`})`,
          ),
        ),
      );
    });
    child.stdin.on('error', () => undefined);
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (s: string) => this.onOutput(s));
    child.stderr.on('data', (s: string) => {
      this.logText(s);
      this.stderr = (this.stderr + s).slice(-4096);
    });

    const first = new Promise<void>((resolve, reject) => {
      const off = this.onEvent((ev) => {
        if (ev.kind !== 'prompt') return;
        off();
        offExit();
        resolve();
      });
      const offExit = this.onExit((err) => {
        off();
        reject(this.stderr ? new BackendError(`${err.message}: ${this.stderr.trim()}`) : err);
      });
    });
    try {
      await withTimeout(first, initTimeoutMs, 'gatttool start');
      if (/Unknown option|Cannot parse|Error parsing/i.test(this.stderr)) {
        throw new InvalidArgumentError(`gatttool rejected its options: ${this.stderr.trim()}`);
      }
    } catch (e) {
      await this.close(2000);
      throw e;
    }
    this.startPoll();
  }

  private logText(s: string): void {
    if (this.logFd === undefined) return;
    try {
      writeSync(this.logFd, s);
    } catch {
      // A full disk must not break the session; the log is best effort from here on.
    }
  }

  private onOutput(s: string): void {
    this.logText(s);
    if (gatttoolLog.enabled) gatttoolLog.debug(`< ${s.trimEnd()}`);
    let events: GatttoolEvent[];
    try {
      events = this.parser.feed(s);
    } catch (e) {
      this.child.kill('SIGKILL');
      this.running?.fail(e as Error);
      return;
    }
    for (const ev of events) {
      if (ev.kind === 'prompt') {
        this.address = ev.address;
        this.connected = ev.connected;
      } else if (ev.kind === 'connected') {
        this.connected = true;
      }
      // Listeners first: a notification handler must see values before a command resolves.
      for (const cb of [...this.listeners]) cb(ev);
      this.running?.feed(ev);
    }
  }

  private startPoll(): void {
    const ms = this.options.livenessIntervalMs ?? 1000;
    if (!(ms > 0)) return;
    // An empty line makes readline redraw its prompt, whose colour tells whether the link is
    // up: gatttool prints nothing at all when a connection drops.
    this.poll = setInterval(() => {
      const phase = this.running?.phase;
      if (!this.connected || phase === 'echo' || phase === 'sync') return;
      this.child.stdin.write('\n');
    }, ms);
    this.poll.unref();
  }

  private stopPoll(): void {
    if (this.poll) clearInterval(this.poll);
    this.poll = undefined;
  }

  private write(line: string): void {
    this.logText(`\n# > ${line}\n`);
    gatttoolLog.debug(`> ${line}`);
    this.child.stdin.write(line + '\n');
  }

  /**
   * Runs one command (queued behind any other) and resolves with its result: the events of
   * its synchronous part when `spec` waits for nothing else, else what `spec` picks.
   */
  command<T = GatttoolEvent[]>(
    line: string,
    spec: CommandSpec<T>,
    options: CommandOptions,
  ): Promise<T> {
    let cmd: string;
    try {
      cmd = checkCommandLine(line);
    } catch (e) {
      return Promise.reject(e as Error);
    }
    const run = this.mutex.then(() => this.runCommand(cmd, spec, options));
    this.mutex = run.catch(() => undefined);
    return run;
  }

  private runCommand<T>(line: string, spec: CommandSpec<T>, o: CommandOptions): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.exitError) {
        reject(this.exitError);
        return;
      }
      if (o.signal?.aborted) {
        reject(new AbortError(undefined, { cause: o.signal.reason }));
        return;
      }
      const needsLink = spec.needsLink ?? true;
      const expectsMore = spec.result !== undefined || spec.list !== undefined;
      const finish = (settle: () => void): void => {
        if (this.running !== r) return;
        this.running = undefined;
        clearTimeout(timer);
        o.signal?.removeEventListener('abort', onAbort);
        settle();
      };
      const r: Running = {
        line,
        phase: 'echo',
        syncEvents: [],
        items: [],
        sentinel: false,
        fail: (err) => finish(() => reject(err)),
        feed: (ev) => {
          if (r.phase === 'echo') {
            if (ev.kind === 'echo' && ev.command === line) r.phase = 'sync';
            return;
          }
          if (r.phase === 'sync') {
            if (ev.kind !== 'prompt') {
              if (ev.kind !== 'notification') r.syncEvents.push(ev);
              return;
            }
            const err = r.syncEvents.find(
              (e): e is Extract<GatttoolEvent, { kind: 'error' }> => e.kind === 'error',
            );
            if (err) return r.fail(mapGatttoolError(err.message, o.what, err.failed));
            const usage = r.syncEvents.find((e) => e.kind === 'usage');
            if (usage) {
              return r.fail(new InvalidArgumentError(`${o.what}: gatttool: ${usage.text}`));
            }
            try {
              spec.sync?.(r.syncEvents);
            } catch (e) {
              return r.fail(e as Error);
            }
            if (!expectsMore) return finish(() => resolve(r.syncEvents as T));
            r.phase = 'async';
            return;
          }
          this.feedAsync(r, ev, spec, o, needsLink, (v) => finish(() => resolve(v)));
        },
      };
      const onAbort = (): void => r.fail(new AbortError(undefined, { cause: o.signal?.reason }));
      const timer = setTimeout(() => {
        if (r.phase === 'async' && spec.result && needsLink)
          this.orphans.push(line.split(' ')[0] as string);
        r.fail(new TimeoutError(`${o.what} timed out after ${o.timeoutMs} ms`));
      }, o.timeoutMs);
      o.signal?.addEventListener('abort', onAbort, { once: true });
      this.running = r;
      this.write(line);
    });
  }

  private feedAsync<T>(
    r: Running,
    ev: GatttoolEvent,
    spec: CommandSpec<T>,
    o: CommandOptions,
    needsLink: boolean,
    done: (v: T) => void,
  ): void {
    if (ev.kind === 'prompt') {
      if (needsLink && !ev.connected) {
        r.fail(new NotConnectedError(`${o.what}: the link dropped (gatttool: disconnected)`));
      }
      return;
    }
    if (ev.kind === 'notification' || ev.kind === 'echo') return;
    if (r.sentinel && ev.kind === 'secLevel') return done(r.items as T);
    // A late answer to a command that timed out belongs to that command, not this one.
    if (this.orphans.length > 0 && (ev.kind === 'error' || isResultKind(ev))) {
      this.orphans.shift();
      return;
    }
    if (ev.kind === 'error') {
      if (spec.emptyWhen?.test(ev.message)) return done([] as T);
      return r.fail(mapGatttoolError(ev.message, o.what, ev.failed));
    }
    if (spec.list?.(ev)) {
      r.items.push(ev);
      if (!r.sentinel) {
        r.sentinel = true;
        // gatttool prints the whole list from one callback, before it reads input again.
        this.write(SENTINEL);
      }
      return;
    }
    const v = spec.result?.(ev);
    if (v !== undefined) done(v);
  }

  /** Writes a raw line without waiting for anything (pygatt's sendline). */
  sendRaw(line: string): void {
    const cmd = checkCommandLine(line);
    if (this.exitError) throw this.exitError;
    this.write(cmd);
  }

  /**
   * Ends gatttool: 'disconnect' and 'exit' first, then SIGTERM, then SIGKILL, each after
   * part of `timeoutMs`. Resolves when the process is gone.
   */
  async close(timeoutMs = 3000): Promise<void> {
    this.stopPoll();
    if (this.exitError) return;
    const gone = this.exitPromise;
    const step = Math.max(100, Math.floor(timeoutMs / 3));
    this.child.stdin.write('disconnect\nexit\n');
    if (await settlesWithin(gone, step)) return;
    this.child.kill('SIGTERM');
    if (await settlesWithin(gone, step)) return;
    this.child.kill('SIGKILL');
    await settlesWithin(gone, step);
  }

  /** Kills gatttool at once (tests, emergencies). */
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (!this.exitError) this.child.kill(signal);
  }

  /** Resolves when the process has ended. */
  exited(): Promise<void> {
    return this.exitPromise;
  }
}

function isResultKind(ev: GatttoolEvent): boolean {
  return (
    ev.kind === 'value' || ev.kind === 'written' || ev.kind === 'mtu' || ev.kind === 'connected'
  );
}

function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  return withTimeout(p, ms, 'gatttool exit').then(
    () => true,
    () => false,
  );
}
