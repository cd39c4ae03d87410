/**
 * A connected AF_UNIX stream socket on the native addon's poller: bytes and the fds that came
 * with them (SCM_RIGHTS) in one event per wakeup. Node's net.Socket cannot receive fds, and
 * this is what a D-Bus connection needs to take AcquireNotify/AcquireWrite replies.
 */
import { BleError, InvalidArgumentError } from '../core/errors.js';
import { need } from './addon.js';
import { SocketClosedError } from './seqpacket.js';
import { WatchedFd } from './watched-fd.js';

interface StreamAddon {
  connectUnix(path: string): number;
  openStream(
    fd: number,
    cb: (kind: number, payload: unknown) => void,
    bufferSize?: number,
  ): unknown;
  write(handle: unknown, buf: Uint8Array): number;
  writeFds(handle: unknown, buf: Uint8Array, fds: number[]): number;
  wantWritable(handle: unknown): void;
  ref(handle: unknown, on: boolean): void;
  close(handle: unknown): void;
  closeFd(fd: number): void;
}

const EV_DATA = 0;
const EV_WRITABLE = 1;
const EV_HANGUP = 2;
const EV_ERROR = 3;
const EAGAIN = 11;
/** Bytes read per wakeup at most; the poller wakes again while more is waiting. */
const READ_BUFFER = 65536;

function addon(): StreamAddon {
  const a = need() as unknown as Partial<StreamAddon>;
  if (typeof a.writeFds !== 'function' || typeof a.connectUnix !== 'function') {
    throw new BleError('the native addon predates stream sockets: rebuild it', 'ERR_BLE_NATIVE');
  }
  return a as StreamAddon;
}

/** Connects to a unix socket path; errors carry the errno (ENOENT, ECONNREFUSED, EACCES...). */
export function connectUnix(path: string): number {
  if (typeof path !== 'string' || path.length === 0 || path.includes('\0')) {
    throw new InvalidArgumentError(`not a unix socket path: ${JSON.stringify(path)}`);
  }
  return addon().connectUnix(path);
}

/** Most fds one write may carry (the addon's limit; a D-Bus reply passes one or two). */
export const MAX_WRITE_FDS = 16;

/** Queued bytes, with the fds that must leave with their first byte. */
interface Chunk {
  buf: Buffer;
  fds: readonly number[];
}

export interface UnixStreamEvents {
  data: [data: Buffer, fds: number[]];
  close: [];
  error: [error: Error];
}

/**
 * Owns its fd. write() takes what the kernel takes now and queues the rest in order, sending
 * it when the socket has room; close() drops the queue. Fds that arrive are the listener's
 * to close; fds given to write() stay the caller's and must stay open until they are sent.
 */
export class UnixStream extends WatchedFd<UnixStreamEvents> {
  private readonly queue: Chunk[] = [];
  private waiting = false;

  constructor(fd: number) {
    super(fd);
    this.handle = addon().openStream(
      fd,
      (kind, payload) => this.onEvent(kind, payload),
      READ_BUFFER,
    );
  }

  /** Bytes accepted but not yet taken by the kernel. */
  get queuedBytes(): number {
    let n = 0;
    for (const c of this.queue) n += c.buf.length;
    return n;
  }

  /** Writes bytes; `fds` (SCM_RIGHTS) leave with the first of them. */
  write(buf: Uint8Array, fds: readonly number[] = []): void {
    if (this.isClosed) throw new SocketClosedError();
    if (!(buf instanceof Uint8Array)) {
      throw new InvalidArgumentError('stream data must be a Buffer or Uint8Array');
    }
    if (fds.length > MAX_WRITE_FDS || !fds.every((fd) => Number.isInteger(fd) && fd >= 0)) {
      throw new InvalidArgumentError(`a write passes at most ${MAX_WRITE_FDS} valid fds`);
    }
    if (buf.length === 0) {
      if (fds.length > 0)
        throw new InvalidArgumentError('fds need at least one byte to carry them');
      return;
    }
    const b = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.length);
    if (this.queue.length > 0) this.queue.push({ buf: b, fds: [...fds] });
    else this.send({ buf: b, fds });
  }

  close(): void {
    if (!this.release()) return;
    this.queue.length = 0;
    this.emit('close');
  }

  /** Writes as much of the chunk as the kernel takes; queues the rest. False when it had to queue. */
  private send({ buf: b, fds }: Chunk): boolean {
    let off = 0;
    while (off < b.length) {
      const withFds = off === 0 && fds.length > 0;
      const r = withFds
        ? addon().writeFds(this.handle, b, [...fds])
        : addon().write(this.handle, off === 0 ? b : b.subarray(off));
      if (r > 0) {
        off += r;
        continue;
      }
      if (r === -EAGAIN || r === 0) {
        // Fds go with the first byte the kernel takes: only a chunk not started keeps them.
        this.queue.unshift({ buf: b.subarray(off), fds: off === 0 ? fds : [] });
        this.waitWritable();
        return false;
      }
      this.fail(new BleError(`write on fd ${this.fd} failed (errno ${-r})`, 'ERR_BLE_SOCKET'));
      return false;
    }
    return true;
  }

  private waitWritable(): void {
    if (this.waiting || this.isClosed) return;
    this.waiting = true;
    addon().wantWritable(this.handle);
  }

  private drain(): void {
    this.waiting = false;
    while (this.queue.length > 0 && !this.isClosed) {
      const head = this.queue.shift()!;
      if (!this.send(head)) return;
    }
  }

  private fail(err: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', err);
    this.close();
  }

  private onEvent(kind: number, payload: unknown): void {
    if (this.isClosed) {
      if (kind === EV_DATA) for (const fd of (payload as [Buffer, number[]])[1]) closeQuietly(fd);
      return;
    }
    switch (kind) {
      case EV_DATA: {
        const [data, fds] = payload as [Buffer, number[]];
        this.emit('data', data, fds);
        break;
      }
      case EV_WRITABLE:
        this.drain();
        break;
      case EV_HANGUP:
        this.close();
        break;
      case EV_ERROR:
        this.fail(
          new BleError(`socket fd ${this.fd} failed (${String(payload)})`, 'ERR_BLE_SOCKET'),
        );
        break;
    }
  }
}

function closeQuietly(fd: number): void {
  try {
    addon().closeFd(fd);
  } catch {
    // Already closed: nothing is left to release.
  }
}
