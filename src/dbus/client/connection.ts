/**
 * A D-Bus connection of blekit's own: SASL handshake, Hello, serials, replies matched to calls,
 * signals routed by match rule (and also emitted as 'message'), method calls offered to the
 * handlers added with addMethodHandler (an ObjectTree) and answered with UnknownMethod when none
 * takes them. Messages may carry unix fds both ways. Every wait ends: calls by their timeout or
 * by close(), the handshake by its own timeout.
 */
import { EventEmitter } from 'node:events';
import {
  BackendError,
  InvalidArgumentError,
  NotSupportedError,
  TimeoutError,
} from '../../core/errors.js';
import {
  MessageType,
  encodeMessage,
  type OutgoingMessage,
  type WireMessage,
} from '../message-codec.js';
import { SaslClient, authStart, takeLines } from './auth.js';
import { DbusError } from './errors.js';
import { referencedFds } from './fds.js';
import { MessageFramer } from './framing.js';
import { SignalRouter, matchRuleText, type MatchRule, type SignalHandler } from './signals.js';

export const DEFAULT_CALL_TIMEOUT_MS = 25_000;
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;
const NO_REPLY_EXPECTED = 0x1;
const PEER = 'org.freedesktop.DBus.Peer';
/** Longest delay setTimeout honours. */
const MAX_TIMER_MS = 0x7fffffff;
const BUS = {
  destination: 'org.freedesktop.DBus',
  path: '/org/freedesktop/DBus',
  interface: 'org.freedesktop.DBus',
} as const;

/** The byte stream under a connection (UnixStream; tests use an in-memory one). */
export interface ByteStream {
  /** Writes bytes; `fds` leave with the first of them (SCM_RIGHTS). */
  write(buf: Uint8Array, fds?: readonly number[]): void;
  close(): void;
  on(event: 'data', f: (data: Buffer, fds: number[]) => void): unknown;
  on(event: 'close', f: () => void): unknown;
  on(event: 'error', f: (e: Error) => void): unknown;
  readonly isClosed: boolean;
}

/** A message to send: serial is assigned here, type defaults to a method call. */
export type Outgoing = Omit<OutgoingMessage, 'serial'>;

/**
 * Offered each method call addressed to us, in the order added; returns true when it has taken
 * the call (and will answer it unless the caller asked for no reply).
 */
export type MethodHandler = (call: WireMessage) => boolean;

export interface DbusClientEvents {
  /** Signals and method calls addressed to us (replies go to their call). */
  message: [message: WireMessage];
  close: [reason: Error];
  error: [error: Error];
}

interface Pending {
  resolve: (m: WireMessage) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout | undefined;
}

export class DbusClient extends EventEmitter<DbusClientEvents> {
  private serial = 0;
  private readonly pending = new Map<number, Pending>();
  private readonly framer = new MessageFramer();
  private readonly signals = new SignalRouter();
  private readonly methodHandlers: MethodHandler[] = [];
  private phase: 'auth' | 'open' | 'closed' = 'auth';
  private authBuffer: Buffer = Buffer.alloc(0);
  private readonly sasl: SaslClient;
  private authDone?: { resolve: () => void; reject: (e: Error) => void };
  /** Our unique bus name, from Hello. */
  uniqueName = '';
  guid = '';
  /** Whether the server agreed to pass unix fds. */
  unixFds = false;

  /** Takes over `stream` (closes it on close()); call handshake() next. */
  constructor(
    private readonly stream: ByteStream,
    negotiateUnixFd = true,
  ) {
    super();
    this.sasl = new SaslClient(negotiateUnixFd);
    stream.on('data', (data, fds) => this.onData(data, fds));
    stream.on('error', (e) =>
      this.shutdown(new BackendError(`D-Bus socket: ${e.message}`, { cause: e, backend: 'dbus' })),
    );
    stream.on('close', () =>
      this.shutdown(new BackendError('D-Bus connection lost', { backend: 'dbus' })),
    );
  }

  get isClosed(): boolean {
    return this.phase === 'closed';
  }

  /** Authenticates as `uid` and says Hello; on any failure the connection is closed. */
  async handshake(uid: number, timeoutMs = DEFAULT_HANDSHAKE_TIMEOUT_MS): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const authed = new Promise<void>((resolve, reject) => {
        this.authDone = { resolve, reject };
      });
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new TimeoutError(`D-Bus handshake took over ${timeoutMs} ms`)),
          timeoutMs,
        );
      });
      this.stream.write(authStart(uid));
      await Promise.race([authed, timeout]);
      const [name] = (
        await Promise.race([this.call({ ...BUS, member: 'Hello' }, timeoutMs), timeout])
      ).body;
      if (typeof name !== 'string' || !name.startsWith(':')) {
        throw new BackendError(`D-Bus Hello answered ${String(name)}`, { backend: 'dbus' });
      }
      this.uniqueName = name;
    } catch (e) {
      this.shutdown(e as Error);
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Sends a method call and resolves to its reply; an error reply rejects with DbusError.
   * `timeoutMs` = Infinity waits for the reply or close() (for a caller that bounds the wait
   * itself, as a connect that the user may cancel).
   */
  call(msg: Outgoing, timeoutMs = DEFAULT_CALL_TIMEOUT_MS): Promise<WireMessage> {
    return new Promise((resolve, reject) => {
      let serial: number;
      try {
        if (!(timeoutMs === Infinity || (timeoutMs >= 0 && timeoutMs <= MAX_TIMER_MS))) {
          throw new InvalidArgumentError(
            `Invalid time: ${String(timeoutMs)} ms (need 0..${MAX_TIMER_MS} or Infinity)`,
          );
        }
        serial = this.write({ ...msg, type: MessageType.methodCall, flags: msg.flags ?? 0 });
      } catch (e) {
        reject(e as Error);
        return;
      }
      const timer =
        timeoutMs === Infinity
          ? undefined
          : setTimeout(() => {
              this.pending.delete(serial);
              reject(
                new TimeoutError(
                  `D-Bus call ${msg.member ?? ''} ${msg.path ?? ''} timed out after ${timeoutMs} ms`,
                ),
              );
            }, timeoutMs);
      this.pending.set(serial, { resolve, reject, timer });
    });
  }

  /** Sends a message that expects no reply (a signal, a reply, a no-reply call); returns its serial. */
  send(msg: Outgoing): number {
    return this.write(msg);
  }

  /** Answers a method call with a method return (nothing when the caller wants no reply). */
  reply(call: WireMessage, signature = '', body: unknown[] = []): void {
    if (call.flags & NO_REPLY_EXPECTED) return;
    this.write({
      type: MessageType.methodReturn,
      destination: call.sender,
      replySerial: call.serial,
      signature,
      body,
    });
  }

  /** Answers a method call with a D-Bus error. */
  replyError(call: WireMessage, errorName: string, text: string): void {
    if (call.flags & NO_REPLY_EXPECTED) return;
    this.write({
      type: MessageType.error,
      destination: call.sender,
      replySerial: call.serial,
      errorName,
      signature: 's',
      body: [text],
    });
  }

  /** Emits a signal from one of our objects. */
  signal(path: string, iface: string, member: string, signature = '', body: unknown[] = []): void {
    this.write({ type: MessageType.signal, path, interface: iface, member, signature, body });
  }

  addMethodHandler(h: MethodHandler): void {
    if (!this.methodHandlers.includes(h)) this.methodHandlers.push(h);
  }

  removeMethodHandler(h: MethodHandler): void {
    const i = this.methodHandlers.indexOf(h);
    if (i >= 0) this.methodHandlers.splice(i, 1);
  }

  /**
   * Routes signals matching `rule` to `handler` without telling the bus daemon (for a rule an
   * earlier addMatch covers); returns the remover.
   */
  onSignal(rule: MatchRule, handler: SignalHandler): () => void {
    return this.signals.add(rule, handler);
  }

  /**
   * Asks the bus daemon for the signals `rule` matches and routes them to `handler`. Resolves
   * once the daemon has the rule, to an async remover (which never rejects).
   */
  async addMatch(
    rule: MatchRule,
    handler: SignalHandler,
    timeoutMs = DEFAULT_CALL_TIMEOUT_MS,
  ): Promise<() => Promise<void>> {
    const text = matchRuleText(rule);
    const remove = this.signals.add(rule, handler);
    try {
      await this.call({ ...BUS, member: 'AddMatch', signature: 's', body: [text] }, timeoutMs);
    } catch (e) {
      remove();
      throw e;
    }
    let removed = false;
    return async () => {
      if (removed) return;
      removed = true;
      remove();
      if (this.isClosed) return;
      await this.call({ ...BUS, member: 'RemoveMatch', signature: 's', body: [text] }, timeoutMs)
        .then(() => undefined)
        .catch(() => undefined);
    };
  }

  /** Closes the connection: pending calls reject with a BackendError, then 'close'. */
  close(): void {
    this.shutdown(new BackendError('D-Bus connection closed', { backend: 'dbus' }));
  }

  private write(msg: Outgoing): number {
    if (this.phase === 'closed')
      throw new BackendError('D-Bus connection is closed', { backend: 'dbus' });
    const serial = this.serial >= 0xffffffff ? 1 : this.serial + 1;
    const { data, fds } = encodeMessage({ ...msg, serial });
    if (fds.length > 0 && !this.unixFds)
      throw new NotSupportedError('this D-Bus connection cannot pass file descriptors');
    this.serial = serial;
    this.stream.write(data, fds);
    return serial;
  }

  private onData(data: Buffer, fds: number[]): void {
    if (this.phase === 'closed') {
      closeFds(fds);
      return;
    }
    if (this.phase === 'auth') {
      // Nothing may carry fds before BEGIN.
      closeFds(fds);
      fds = [];
      let after: Buffer | null;
      try {
        after = this.authenticate(data);
      } catch (e) {
        this.authDone?.reject(e as Error);
        this.shutdown(e as Error);
        return;
      }
      if (after === null) return;
      data = after;
    }
    let framed;
    try {
      framed = this.framer.push(data, fds);
    } catch (e) {
      this.fail(e as Error);
      return;
    }
    for (const { message, fds: own } of framed) {
      if (this.isClosed) {
        closeFds(own);
        continue;
      }
      this.dispatch(message, own);
    }
  }

  /** Feeds handshake bytes; returns what follows BEGIN (normally nothing), null until then. */
  private authenticate(data: Buffer): Buffer | null {
    const { lines, rest } = takeLines(Buffer.concat([this.authBuffer, data]));
    this.authBuffer = rest;
    for (const [i, line] of lines.entries()) {
      const step = this.sasl.step(line);
      if (step.send) this.stream.write(Buffer.from(step.send, 'ascii'));
      if (step.done) {
        this.guid = step.done.guid;
        this.unixFds = step.done.unixFds;
        this.phase = 'open';
        this.authDone?.resolve();
        if (i < lines.length - 1) {
          throw new BackendError('D-Bus server sent lines after the handshake', {
            backend: 'dbus',
          });
        }
        const after = this.authBuffer;
        this.authBuffer = Buffer.alloc(0);
        return after;
      }
    }
    return null;
  }

  private dispatch(m: WireMessage, fds: number[]): void {
    if (m.type === MessageType.methodReturn || m.type === MessageType.error) {
      const p = m.replySerial === undefined ? undefined : this.pending.get(m.replySerial);
      if (!p) {
        closeFds(fds);
        return;
      }
      this.pending.delete(m.replySerial!);
      clearTimeout(p.timer);
      // The fds its 'h' values name are the caller's now; any others would only leak.
      if (fds.length > 0) {
        const used = referencedFds(m.signature, m.body);
        closeFds(fds.filter((fd) => !used.has(fd)));
      }
      if (m.type === MessageType.error) p.reject(DbusError.fromReply(m));
      else p.resolve(m);
      return;
    }
    // Signals and calls are not owners of fds here: a handler that needs one must dup it.
    try {
      if (m.type === MessageType.methodCall) this.onCall(m);
      else if (m.type === MessageType.signal) this.signals.route(m, (e) => this.handlerFailed(e));
      this.emit('message', m);
    } finally {
      closeFds(fds);
    }
  }

  private onCall(call: WireMessage): void {
    if (call.interface === PEER && call.member === 'Ping') return this.reply(call);
    for (const h of [...this.methodHandlers]) {
      let taken: boolean;
      try {
        taken = h(call);
      } catch (e) {
        this.handlerFailed(e);
        taken = false;
      }
      if (taken) return;
    }
    if (!call.sender) return;
    const text = `blekit exports no ${call.interface ?? ''}.${call.member ?? ''} at ${call.path ?? ''}`;
    this.replyError(call, 'org.freedesktop.DBus.Error.UnknownMethod', text);
  }

  /** A handler's bug must not take the connection down; it is reported on 'error' if anyone listens. */
  private handlerFailed(e: unknown): void {
    if (this.listenerCount('error') > 0) this.emit('error', e as Error);
  }

  private fail(e: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', e);
    this.shutdown(
      new BackendError(`D-Bus connection dropped: ${e.message}`, { cause: e, backend: 'dbus' }),
    );
  }

  private shutdown(reason: Error): void {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    this.authDone?.reject(reason);
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(reason);
    }
    this.pending.clear();
    closeFds(this.framer.pendingFds);
    if (!this.stream.isClosed) this.stream.close();
    this.emit('close', reason);
  }
}

let closeFd: ((fd: number) => void) | undefined;

/** Where a connection closes fds it drops (the native addon's closeFd; tests may replace it). */
export function setFdCloser(f: (fd: number) => void): void {
  closeFd = f;
}

function closeFds(fds: readonly number[]): void {
  for (const fd of fds) {
    try {
      closeFd?.(fd);
    } catch {
      // Already closed.
    }
  }
}
