import { EventEmitter } from 'node:events';
import { BackendError, NotConnectedError, throwIfAborted, withTimeout } from '../../core/index.js';
import {
  BgapiStreamParser,
  encodeCommand,
  type AnsweredCommandName,
  type BgapiEvent,
  type CommandName,
  type CommandParams,
  type EventName,
  type EventParams,
  type ResponseParams,
} from './codec/index.js';
import type { BgapiPort } from './transport.js';

/** A partial frame older than this is noise: a dongle sends each frame in one go. */
const QUIET_GAP_MS = 100;
const DEFAULT_RESPONSE_MS = 5_000;

type EventOf<N extends EventName> = Extract<BgapiEvent, { name: N }>;

interface Waiter {
  match: (e: BgapiEvent) => boolean;
  resolve: (e: BgapiEvent) => void;
}

/**
 * One BGAPI conversation over a port. The protocol allows one outstanding command: the next
 * goes out only after the previous one's response, so commands queue here. Events go to
 * 'event' listeners and to waitEvent() callers; a port that closes fails what is pending.
 * Emits 'event' (BgapiEvent), 'raw' (unknown frames), 'close' (Error | undefined).
 */
export class BgapiLink extends EventEmitter {
  private readonly parser = new BgapiStreamParser('fromDevice');
  private queue: Promise<unknown> = Promise.resolve();
  private pendingResponse:
    { name: string; resolve: (p: unknown) => void; reject: (e: Error) => void } | undefined;
  private readonly waiters = new Set<Waiter>();
  private quietTimer: NodeJS.Timeout | undefined;
  private closedWith: Error | undefined;
  /** Frames in each direction, for tests and logs. */
  readonly counters = { commands: 0, responses: 0, events: 0, raw: 0 };

  constructor(
    /** The byte pipe to the dongle. */
    readonly port: BgapiPort,
    private readonly trace?: (line: string) => void,
  ) {
    super();
    port.onData((b) => this.onBytes(b));
    port.onClose((err) => this.onClosed(err));
  }

  /** True once the port has closed. */
  get closed(): boolean {
    return this.closedWith !== undefined;
  }

  /** Sends a command and resolves with its response; commands are sent one at a time. */
  command<N extends AnsweredCommandName>(
    name: N,
    params: CommandParams<N>,
    timeoutMs = DEFAULT_RESPONSE_MS,
  ): Promise<ResponseParams<N>> {
    const frame = encodeCommand(name, params);
    const run = async (): Promise<ResponseParams<N>> => {
      if (this.closedWith) throw this.closedWith;
      const answer = new Promise<unknown>((resolve, reject) => {
        this.pendingResponse = { name, resolve, reject };
      });
      this.counters.commands++;
      this.trace?.(`-> ${name} ${JSON.stringify(params, jsonBuf)}`);
      await this.port.write(frame);
      try {
        return (await withTimeout(
          answer,
          timeoutMs,
          `BGAPI ${name} response`,
        )) as ResponseParams<N>;
      } finally {
        this.pendingResponse = undefined;
      }
    };
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => undefined);
    return p;
  }

  /** Sends a command that has no response (system_reset), after any queued command. */
  send<N extends CommandName>(name: N, params: CommandParams<N>): Promise<void> {
    const frame = encodeCommand(name, params);
    const run = async (): Promise<void> => {
      if (this.closedWith) throw this.closedWith;
      this.counters.commands++;
      this.trace?.(`-> ${name} ${JSON.stringify(params, jsonBuf)}`);
      await this.port.write(frame);
    };
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => undefined);
    return p;
  }

  /**
   * Resolves with the first event named `name` for which `match` holds. Register before
   * sending the command that causes it: events can arrive right behind the response.
   */
  waitEvent<N extends EventName>(
    name: N,
    match: (p: EventParams<N>) => boolean,
    timeoutMs: number,
    signal?: AbortSignal,
  ): {
    /** The matching event; rejects with TimeoutError, AbortError, or the port's close error. */
    promise: Promise<EventOf<N>>;
    /** Stops matching events, so the promise can only reject: for a command that failed. */
    cancel: () => void;
  } {
    let waiter!: Waiter;
    const p = new Promise<EventOf<N>>((resolve) => {
      waiter = {
        match: (e) => e.name === name && match(e.params as EventParams<N>),
        resolve: resolve as (e: BgapiEvent) => void,
      };
    });
    this.waiters.add(waiter);
    const cancel = (): void => {
      this.waiters.delete(waiter);
    };
    const closed = new Promise<never>((_r, reject) => {
      const onClose = (err?: Error): void => reject(err ?? this.closedError());
      this.once('close', onClose);
      p.finally(() => this.off('close', onClose)).catch(() => undefined);
    });
    closed.catch(() => undefined);
    const promise = withTimeout(Promise.race([p, closed]), timeoutMs, `BGAPI ${name}`, signal);
    promise.catch(() => undefined).finally(cancel);
    try {
      throwIfAborted(signal);
      if (this.closedWith) throw this.closedWith;
    } catch (e) {
      cancel();
      return { promise: Promise.reject(e), cancel };
    }
    return { promise, cancel };
  }

  /** Closes the port; pending commands reject. */
  async close(): Promise<void> {
    await this.port.close();
    this.onClosed();
  }

  private onBytes(b: Buffer): void {
    const frames = this.parser.push(b);
    clearTimeout(this.quietTimer);
    if (this.parser.pending > 0) {
      this.quietTimer = setTimeout(() => this.dispatch(this.parser.flush()), QUIET_GAP_MS);
      this.quietTimer.unref();
    }
    this.dispatch(frames);
  }

  private dispatch(frames: ReturnType<BgapiStreamParser['push']>): void {
    for (const f of frames) {
      if (f.kind === 'response') {
        this.counters.responses++;
        this.trace?.(`<- ${f.name} ${JSON.stringify(f.params, jsonBuf)}`);
        const pending = this.pendingResponse;
        if (pending && pending.name === f.name) {
          this.pendingResponse = undefined;
          pending.resolve(f.params);
        }
      } else if (f.kind === 'event') {
        this.counters.events++;
        this.trace?.(`<- event ${f.name} ${JSON.stringify(f.params, jsonBuf)}`);
        for (const w of [...this.waiters]) {
          if (w.match(f)) {
            this.waiters.delete(w);
            w.resolve(f);
          }
        }
        this.emit('event', f);
      } else if (f.kind === 'raw') {
        this.counters.raw++;
        this.emit('raw', f);
      }
    }
  }

  private closedError(): Error {
    return new NotConnectedError('BGAPI port closed');
  }

  private onClosed(err?: Error): void {
    if (this.closedWith) return;
    clearTimeout(this.quietTimer);
    this.closedWith = err
      ? new BackendError(`BGAPI port failed: ${err.message}`, { cause: err, backend: 'bgapi' })
      : this.closedError();
    this.pendingResponse?.reject(this.closedWith);
    this.pendingResponse = undefined;
    this.emit('close', this.closedWith);
  }
}

function jsonBuf(_k: string, v: unknown): unknown {
  if (v && typeof v === 'object' && (v as { type?: string }).type === 'Buffer') {
    return Buffer.from((v as { data: number[] }).data).toString('hex');
  }
  return v;
}
