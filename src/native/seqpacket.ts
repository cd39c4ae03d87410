import { BleError, InvalidArgumentError, TimeoutError } from '../core/errors.js';
import { need } from './addon.js';
import { WatchedFd } from './watched-fd.js';

export { nativeAvailable, nativeStatus, need, type NativeStatus } from './addon.js';

const EV_PACKETS = 0;
const EV_WRITABLE = 1;
const EV_HANGUP = 2;
const EV_ERROR = 3;
const EAGAIN = 11;
/** The addon's MAX_WRITE_BATCH. */
const WRITE_BATCH = 64;

/** A connected SOCK_SEQPACKET pair, non-blocking and close-on-exec (for a GATT server's Acquire*). */
export function seqpacketPair(): [number, number] {
  return need().socketPair();
}

/** Closes a raw fd that was never wrapped in a PacketSocket. */
export function closeFd(fd: number): void {
  need().closeFd(fd);
}

export class SocketClosedError extends BleError {
  override name = 'SocketClosedError';
  constructor(message = 'the socket is closed') {
    super(message, 'ERR_BLE_SOCKET_CLOSED');
  }
}

export interface PacketSocketEvents {
  packets: [packets: Buffer[]];
  close: [];
  error: [error: Error];
}

/**
 * One end of a SOCK_SEQPACKET socket: every packet is one ATT value.
 * Reading delivers a batch of packets per wakeup; writing never drops a packet:
 * when the socket is full, write() waits until it has room.
 */
export class PacketSocket extends WatchedFd<PacketSocketEvents> {
  private readonly queue: { buf: Uint8Array; resolve: () => void; reject: (e: Error) => void }[] =
    [];
  private waiting = false;
  /** Writes made in this tick, sent together by one writeMany at the microtask checkpoint. */
  private batch: { buf: Uint8Array; resolve: () => void; reject: (e: Error) => void }[] | undefined;
  private readonly stallTimeoutMs: number | undefined;
  private stallTimer: NodeJS.Timeout | undefined;

  /**
   * Takes ownership of fd: close() closes it. `bufferSize` is the largest packet read whole
   * (the default fits any ATT value). With `stallTimeoutMs`, writes waiting for room fail with
   * a TimeoutError once the socket has stayed full that long: one timer per socket, armed only
   * while it is full, instead of one per write.
   */
  constructor(fd: number, options: { bufferSize?: number; stallTimeoutMs?: number } = {}) {
    super(fd);
    this.stallTimeoutMs = options.stallTimeoutMs;
    this.handle = need().open(
      fd,
      (kind, payload) => this.onEvent(kind, payload),
      options.bufferSize,
    );
  }

  /** Sends one packet now if there is room; false when the socket is full. */
  tryWrite(buf: Uint8Array): boolean {
    if (this.isClosed) throw new SocketClosedError();
    if (this.queue.length > 0 || this.batch) return false;
    return this.send(buf);
  }

  /**
   * Sends one packet, waiting while the socket is full. Writes keep their order. Writes made in
   * the same tick go to the kernel together (one sendmmsg), which is what makes a burst of
   * notifications cheap for both this process and bluetoothd.
   */
  write(buf: Uint8Array): Promise<void> {
    if (this.isClosed) return Promise.reject(new SocketClosedError());
    if (!(buf instanceof Uint8Array)) {
      return Promise.reject(new InvalidArgumentError('a packet must be a Buffer or Uint8Array'));
    }
    return new Promise((resolve, reject) => {
      if (this.queue.length > 0) {
        this.queue.push({ buf, resolve, reject });
        return;
      }
      if (!this.batch) {
        this.batch = [];
        queueMicrotask(() => this.flushBatch());
      }
      this.batch.push({ buf, resolve, reject });
    });
  }

  close(): void {
    if (!this.release()) return;
    clearTimeout(this.stallTimer);
    for (const w of this.queue.splice(0)) w.reject(new SocketClosedError());
    this.emit('close');
  }

  private send(buf: Uint8Array): boolean {
    const r = need().write(this.handle, buf);
    if (r >= 0) return true;
    if (-r === EAGAIN) return false;
    throw new BleError(`write on fd ${this.fd} failed (errno ${-r})`, 'ERR_BLE_SOCKET');
  }

  private flushBatch(): void {
    const items = this.batch ?? [];
    this.batch = undefined;
    if (this.isClosed) {
      for (const w of items) w.reject(new SocketClosedError());
      return;
    }
    let done = 0;
    while (done < items.length) {
      const chunk = items.slice(done, done + WRITE_BATCH);
      let r: number;
      try {
        r = need().writeMany(
          this.handle,
          chunk.map((w) => w.buf),
        );
      } catch (e) {
        // This runs as a microtask: a throw here would have no caller to reach.
        for (const w of items.slice(done)) w.reject(e as Error);
        return;
      }
      if (r < 0 && -r !== EAGAIN) {
        const err = new BleError(`write on fd ${this.fd} failed (errno ${-r})`, 'ERR_BLE_SOCKET');
        for (const w of items.slice(done)) w.reject(err);
        return;
      }
      const sent = Math.max(r, 0);
      for (const w of chunk.slice(0, sent)) w.resolve();
      done += sent;
      if (sent < chunk.length) break;
    }
    if (done < items.length) {
      this.queue.push(...items.slice(done));
      this.waitWritable();
    }
  }

  private waitWritable(): void {
    if (this.isClosed) return;
    if (this.stallTimeoutMs !== undefined && !this.stallTimer) {
      const ms = this.stallTimeoutMs;
      this.stallTimer = setTimeout(() => this.stalled(ms), ms);
      this.stallTimer.unref();
    }
    if (this.waiting) return;
    this.waiting = true;
    need().wantWritable(this.handle);
  }

  private stalled(ms: number): void {
    this.stallTimer = undefined;
    const err = new TimeoutError(`fd ${this.fd} stayed full for ${ms} ms`);
    for (const w of this.queue.splice(0)) w.reject(err);
  }

  private drain(): void {
    this.waiting = false;
    while (this.queue.length > 0 && !this.isClosed) {
      const head = this.queue[0]!;
      let sent: boolean;
      try {
        sent = this.send(head.buf);
      } catch (err) {
        this.queue.shift();
        head.reject(err as Error);
        continue;
      }
      if (!sent) {
        this.waitWritable();
        return;
      }
      this.queue.shift();
      head.resolve();
      // Progress: the stall clock starts again from the next time the socket fills.
      clearTimeout(this.stallTimer);
      this.stallTimer = undefined;
    }
  }

  private onEvent(kind: number, payload: unknown): void {
    if (this.isClosed) return;
    switch (kind) {
      case EV_PACKETS:
        this.emit('packets', payload as Buffer[]);
        break;
      case EV_WRITABLE:
        this.drain();
        break;
      case EV_HANGUP:
        this.close();
        break;
      case EV_ERROR: {
        const err = new BleError(
          `poll on fd ${this.fd} failed (${String(payload)})`,
          'ERR_BLE_SOCKET',
        );
        if (this.listenerCount('error') > 0) this.emit('error', err);
        this.close();
        break;
      }
    }
  }
}
