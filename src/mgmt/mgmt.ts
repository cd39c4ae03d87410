/**
 * The mgmt API client: typed commands with replies matched to requests, typed events as an
 * emitter and as async iterators. The kernel tags replies only with opcode and controller
 * index, so requests sharing both are sent one at a time; others go out concurrently.
 */
import { log } from '../core/log.js';
import { EventEmitter } from 'node:events';
import {
  AbortError,
  BleError,
  DecodeError,
  InvalidArgumentError,
  TimeoutError,
} from '../core/errors.js';
import { BoundedQueue } from '../core/bounded-queue.js';
import {
  NON_CONTROLLER,
  checkIndex,
  commandByCode,
  commandSpec,
  decodeEvent,
  decodeReply,
  encodeCommand,
  eventSpec,
} from './frame.js';
import { MgmtError } from './mgmt-error.js';
import { openControlSocket, type MgmtTransport } from './transport.js';
import type {
  AnyMgmtEvent,
  CommandName,
  CommandParams,
  CommandReply,
  EventName,
  MgmtEvent,
  RawMgmtEvent,
} from './types.js';
import { describeValue } from '../core/describe.js';

/** Per-call options of Mgmt.send() and waitFor(). */
export interface SendOptions {
  /** Give up after this long (default: the Mgmt's `timeoutMs`, itself 20 s by default). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Options of Mgmt.open(). */
export interface MgmtOptions {
  /** Stand-in for the kernel socket (tests, simulators); by default the real control channel. */
  transport?: MgmtTransport;
  /** Default time limit of `send()`. */
  timeoutMs?: number;
}

/** Options of Mgmt.events(). */
export interface EventsOptions {
  signal?: AbortSignal;
  /** Only events of this controller index. */
  index?: number;
  /** Events buffered for a slow consumer before the iterator fails (default 1024). */
  bufferSize?: number;
}

/** Listener signatures: one per event name, plus catch-alls. */
export type MgmtListeners = { [E in EventName]: (ev: MgmtEvent<E>) => void } & {
  /** Every frame from the kernel, decoded (including Command Complete/Status). */
  event: (ev: AnyMgmtEvent) => void;
  /** Events with a code the table does not know. */
  Unknown: (ev: RawMgmtEvent) => void;
  /** A frame that could not be decoded; the socket stays usable. */
  decodeError: (err: DecodeError, frame: Buffer) => void;
  /** The socket failed; every pending request has been rejected and the Mgmt is closed. */
  error: (err: Error) => void;
};

interface Pending {
  name: string;
  index: number;
  frame: Buffer;
  state: 'queued' | 'sent' | 'abandoned';
  settle(err: Error | null, reply?: unknown): void;
}

/** Longest wait for the reply of an abandoned request before the next one on its key goes out. */
const ABANDON_GRACE_MS = 30_000;
const DEFAULT_TIMEOUT_MS = 20_000;

const trace = log('mgmt');

/** For the trace: which command a Command Complete/Status answers, and its status. */
function replyNote(ev: AnyMgmtEvent): string {
  if (ev.name !== 'CommandComplete' && ev.name !== 'CommandStatus') return '';
  const { commandOpcode, status } = ev.params;
  return ` (opcode 0x${commandOpcode.toString(16).padStart(4, '0')}, status ${status})`;
}

const keyOf = (code: number, index: number): string => `${code}:${index}`;

/** The kernel's Bluetooth Management API on its control socket: typed commands (send), events as listeners or async iterators (events, waitFor). See the README's Management API section for an example. */
export class Mgmt {
  private readonly transport: MgmtTransport;
  private readonly emitter = new EventEmitter();
  private readonly queues = new Map<string, Pending[]>();
  private readonly iterators = new Set<BoundedQueue<AnyMgmtEvent>>();
  private readonly defaultTimeoutMs: number;
  private closedError: Error | undefined;

  /** Opens the kernel's mgmt control channel (needs CAP_NET_ADMIN for most commands). */
  static async open(options: MgmtOptions = {}): Promise<Mgmt> {
    return new Mgmt(options.transport ?? openControlSocket(), options.timeoutMs);
  }

  constructor(transport: MgmtTransport, timeoutMs = DEFAULT_TIMEOUT_MS) {
    checkTimeout(timeoutMs);
    this.transport = transport;
    this.defaultTimeoutMs = timeoutMs;
    // Listeners are the application's; many iterators may also subscribe.
    this.emitter.setMaxListeners(0);
    transport.onFrame((frame) => this.onFrame(frame));
    transport.onError((err) => this.fail(err));
  }

  /** True after close() or a socket failure. */
  get closed(): boolean {
    return this.closedError !== undefined;
  }

  /**
   * Sends a command and resolves with its decoded reply. `index` may be left out (undefined)
   * for commands that are not about a controller. Rejects with MgmtError on a failure status,
   * InvalidArgumentError for bad parameters (nothing is sent), TimeoutError, AbortError.
   */
  send<C extends CommandName>(
    name: C,
    index: number | undefined,
    ...rest: keyof CommandParams<C> extends never
      ? [params?: CommandParams<C>, options?: SendOptions]
      : [params: CommandParams<C>, options?: SendOptions]
  ): Promise<CommandReply<C>> {
    const [params, options = {}] = rest as [CommandParams<C> | undefined, SendOptions?];
    let frame: Buffer;
    let idx: number;
    let code: number;
    let timeoutMs: number;
    try {
      if (this.closedError) throw this.closedError;
      const spec = commandSpec(name);
      code = spec.code;
      if (index === undefined) {
        if (spec.index === 'controller')
          throw new InvalidArgumentError(`${name} needs a controller index`);
        idx = NON_CONTROLLER;
      } else {
        idx = checkIndex(index);
      }
      timeoutMs = options.timeoutMs ?? this.defaultTimeoutMs;
      checkTimeout(timeoutMs);
      frame = encodeCommand(name, idx, (params ?? {}) as CommandParams<C>);
      if (options.signal?.aborted)
        throw new AbortError(undefined, { cause: options.signal.reason });
    } catch (e) {
      return Promise.reject(e as Error);
    }
    return new Promise<CommandReply<C>>((resolve, reject) => {
      const key = keyOf(code, idx);
      const signal = options.signal;
      const onAbort = (): void => giveUp(new AbortError(undefined, { cause: signal?.reason }));
      const cleanup = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const p: Pending = {
        name,
        index: idx,
        frame,
        state: 'queued',
        settle: (err, reply) => {
          cleanup();
          if (err) reject(err);
          else resolve(reply as CommandReply<C>);
        },
      };
      const giveUp = (err: Error): void => {
        const q = this.queues.get(key);
        if (!q || !q.includes(p) || p.state === 'abandoned') return;
        if (p.state === 'queued') {
          q.splice(q.indexOf(p), 1);
          if (q.length === 0) this.queues.delete(key);
        } else {
          // Sent: its reply will still come and must not be taken for the next request's.
          p.state = 'abandoned';
          const grace = setTimeout(() => this.release(key, p), ABANDON_GRACE_MS);
          grace.unref();
        }
        p.settle(err);
      };
      const timer = setTimeout(
        () => giveUp(new TimeoutError(`mgmt ${name} timed out after ${timeoutMs} ms`)),
        timeoutMs,
      );
      signal?.addEventListener('abort', onAbort, { once: true });
      const q = this.queues.get(key);
      if (q) q.push(p);
      else {
        this.queues.set(key, [p]);
        this.transmit(key);
      }
    });
  }

  /** Resolves with the first `name` event that matches, within the time limit. */
  async waitFor<E extends EventName>(
    name: E,
    match: (ev: MgmtEvent<E>) => boolean = () => true,
    options: SendOptions & { index?: number } = {},
  ): Promise<MgmtEvent<E>> {
    const timeoutMs = options.timeoutMs ?? this.defaultTimeoutMs;
    checkTimeout(timeoutMs);
    const ac = new AbortController();
    const onOuter = (): void => ac.abort(options.signal?.reason);
    options.signal?.addEventListener('abort', onOuter, { once: true });
    const timer = setTimeout(() => ac.abort(new TimeoutError(`waiting for ${name}`)), timeoutMs);
    try {
      for await (const ev of this.events(name, { signal: ac.signal, index: options.index })) {
        if (match(ev)) return ev;
      }
      throw this.closedError ?? new BleError('mgmt closed', 'ERR_MGMT_CLOSED');
    } catch (e) {
      if (e instanceof AbortError && ac.signal.reason instanceof TimeoutError) {
        throw new TimeoutError(`No ${name} event within ${timeoutMs} ms`);
      }
      throw e;
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onOuter);
    }
  }

  /** Adds a listener for one event name (typed by MgmtListeners); unknown names throw. */
  on<K extends keyof MgmtListeners>(name: K, listener: MgmtListeners[K]): this {
    if (!isListenerName(name)) throw new InvalidArgumentError(`Unknown mgmt event "${name}"`);
    this.emitter.on(name, listener as (...a: unknown[]) => void);
    return this;
  }

  /** Like on(), for the next event only. */
  once<K extends keyof MgmtListeners>(name: K, listener: MgmtListeners[K]): this {
    if (!isListenerName(name)) throw new InvalidArgumentError(`Unknown mgmt event "${name}"`);
    this.emitter.once(name, listener as (...a: unknown[]) => void);
    return this;
  }

  /** Removes a listener added with on() or once(). */
  off<K extends keyof MgmtListeners>(name: K, listener: MgmtListeners[K]): this {
    this.emitter.off(name, listener as (...a: unknown[]) => void);
    return this;
  }

  /**
   * Events as an async iterator: one name, several, or '*' for all (raw ones included).
   * Ends when the Mgmt closes; throws AbortError when `signal` aborts, and BleError
   * ERR_MGMT_OVERFLOW when the consumer falls `bufferSize` events behind.
   */
  events<E extends EventName>(
    names: E | readonly E[],
    options?: EventsOptions,
  ): AsyncIterableIterator<MgmtEvent<E>>;
  events(names: '*', options?: EventsOptions): AsyncIterableIterator<AnyMgmtEvent>;
  events(
    names: string | readonly string[],
    options: EventsOptions = {},
  ): AsyncIterableIterator<AnyMgmtEvent> {
    const wanted = names === '*' ? null : new Set(typeof names === 'string' ? [names] : names);
    for (const n of wanted ?? []) eventSpec(n);
    const index = options.index === undefined ? undefined : checkIndex(options.index);
    const limit = options.bufferSize ?? 1024;
    const queue = new BoundedQueue<AnyMgmtEvent>({
      limit,
      signal: options.signal,
      overflow: () =>
        new BleError(`Event consumer fell ${limit} events behind`, 'ERR_MGMT_OVERFLOW'),
    });
    if (this.closedError) {
      queue.end();
      return queue;
    }
    const listener = (ev: AnyMgmtEvent): void => {
      if (wanted && !wanted.has(ev.name)) return;
      if (index !== undefined && ev.index !== index) return;
      queue.push(ev);
    };
    this.emitter.on('event', listener);
    this.iterators.add(queue);
    queue.onDone(() => {
      this.emitter.off('event', listener);
      this.iterators.delete(queue);
    });
    return queue;
  }

  /** Closes the socket: pending requests reject, iterators end, listeners are dropped. */
  close(): void {
    this.shutdown(new BleError('The mgmt socket is closed', 'ERR_MGMT_CLOSED'));
  }

  /** `using mgmt = await Mgmt.open()` closes it when the scope ends. */
  [Symbol.dispose](): void {
    this.close();
  }

  private fail(err: Error): void {
    if (this.closedError) return;
    const wrapped = new BleError(`mgmt socket failed: ${err.message}`, 'ERR_MGMT_SOCKET', {
      cause: err,
    });
    if (this.emitter.listenerCount('error') > 0) this.emitter.emit('error', wrapped);
    this.shutdown(wrapped);
  }

  private shutdown(reason: Error): void {
    if (this.closedError) return;
    trace.debug(`closed: ${reason.message}`);
    this.closedError = reason;
    for (const q of this.queues.values()) {
      for (const p of q) if (p.state !== 'abandoned') p.settle(reason);
    }
    this.queues.clear();
    for (const it of [...this.iterators]) it.end();
    this.emitter.removeAllListeners();
    this.transport.close();
  }

  /** Sends the head of a key's queue, if it has not gone out yet. */
  private transmit(key: string): void {
    const q = this.queues.get(key);
    const head = q?.[0];
    if (!q || !head || head.state !== 'queued') return;
    head.state = 'sent';
    trace.debug(`-> ${head.name} index ${head.index === NON_CONTROLLER ? '-' : head.index}`);
    try {
      this.transport.write(head.frame);
    } catch (e) {
      q.shift();
      head.settle(e as Error);
      if (q.length === 0) this.queues.delete(key);
      else this.transmit(key);
    }
  }

  /** Drops the head of a key's queue (its reply came, or it was given up) and sends the next. */
  private release(key: string, p: Pending): void {
    const q = this.queues.get(key);
    if (!q || q[0] !== p) return;
    q.shift();
    if (q.length === 0) this.queues.delete(key);
    else this.transmit(key);
  }

  private onFrame(frame: Buffer): void {
    if (this.closedError) return;
    let ev: AnyMgmtEvent;
    try {
      ev = decodeEvent(frame);
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
      this.emitter.emit('decodeError', e, Buffer.from(frame));
      return;
    }
    if (trace.enabled) trace.debug(`<- ${ev.name} index ${ev.index}${replyNote(ev)}`);
    if (ev.name === 'CommandComplete' || ev.name === 'CommandStatus') this.onReply(ev);
    this.emitter.emit('event', ev);
    this.emitter.emit(ev.name, ev);
  }

  private onReply(ev: MgmtEvent<'CommandComplete'> | MgmtEvent<'CommandStatus'>): void {
    const { commandOpcode, status } = ev.params;
    const key = keyOf(commandOpcode, ev.index);
    const p = this.queues.get(key)?.[0];
    // A reply nobody waits for: sent by someone else's request, or after close.
    if (!p || p.state === 'queued') return;
    this.release(key, p);
    if (p.state === 'abandoned') return;
    const data = ev.name === 'CommandComplete' ? ev.params.returnParameters : Buffer.alloc(0);
    if (status !== 0) {
      p.settle(new MgmtError(p.name, p.index, status, data));
      return;
    }
    try {
      const spec = commandByCode(commandOpcode);
      p.settle(null, decodeReply((spec?.name ?? p.name) as CommandName, data));
    } catch (e) {
      p.settle(e as Error);
    }
  }
}

function checkTimeout(ms: number): void {
  if (typeof ms !== 'number' || !(ms > 0) || ms > 0x7fffffff)
    throw new InvalidArgumentError(`Invalid timeout ${describeValue(ms)} ms`);
}

function isListenerName(name: string): boolean {
  if (['event', 'Unknown', 'decodeError', 'error'].includes(name)) return true;
  try {
    eventSpec(name);
    return true;
  } catch {
    return false;
  }
}
