// What one link to a remote device keeps between GATT client calls: per characteristic (by
// value handle) its notification session (StartNotify or an AcquireNotify socket) and its
// AcquireWrite socket, and the WriteValue calls queued one at a time per attribute. Which path
// a call may take (acquire or not) is the caller's choice; this module only takes it.
import { BleError, NotConnectedError } from '../core/index.js';
import type { PacketSocket } from '../native/seqpacket.js';
import {
  acquiredReleased,
  acquireNotify,
  acquireWrite,
  startNotify,
  stopNotify,
  writeCharacteristic,
  writeDescriptor,
  type WriteType,
} from './gatt-remote.js';
import { OneAtATime } from './one-at-a-time.js';
import type { BluezBus } from './session.js';

/** Which transport each operation took (AcquireNotify/AcquireWrite fds or D-Bus calls). */
export interface RemoteGattStats {
  /** Subscriptions that got an AcquireNotify fd. */
  acquiredNotify: number;
  /** Subscriptions that went through StartNotify (values as D-Bus signals). */
  startNotify: number;
  /** Writes without response sent over an AcquireWrite fd. */
  acquiredWrites: number;
  /** Writes sent as WriteValue calls. */
  dbusWrites: number;
  /** Why the last Acquire* attempt fell back to D-Bus, if one did. */
  lastFallback?: string;
}

/** What the sessions need to know of the link they live on. */
export interface RemoteLink {
  /** Device1.Connected as last seen. */
  up(): boolean;
  /** Up, and the connection not yet disposed of. */
  usable(): boolean;
  /** A local Disconnect is under way: the sessions end with the link, not one by one. */
  leaving(): boolean;
  /** ATT_MTU as known. */
  mtu(): number;
  /** An Acquire* reply told a larger ATT_MTU than known. */
  raiseMtu(mtu: number): void;
}

interface Sub {
  path: string;
  stop: () => Promise<void>;
  /** The AcquireNotify fd, closed when bluetoothd drops the session. */
  socket?: PacketSocket;
  /** bluetoothd removed the characteristic object, and with it our session. */
  removed?: boolean;
}

/** ATT header of a Write Command: opcode and handle. */
const WRITE_HEADER = 3;

export class RemoteSessions {
  private readonly subs = new Map<number, Sub>();
  private readonly writers = new Map<number, Promise<PacketSocket | undefined>>();
  /** Characteristics whose AcquireWrite bluetoothd refused on this link. */
  private readonly refusedWriters = new Set<number>();
  /** WriteValue calls, one at a time per characteristic or descriptor. */
  private readonly calls = new OneAtATime();

  constructor(
    private readonly bus: BluezBus,
    private readonly link: RemoteLink,
    private readonly stats: RemoteGattStats,
  ) {}

  /**
   * Writes a characteristic's value. With `acquire`, a Write Command goes over the
   * characteristic's AcquireWrite socket when it can, and falls back to WriteValue when the
   * socket cannot be had or fails.
   */
  async write(
    handle: number,
    path: string,
    value: Buffer,
    type: WriteType,
    acquire: boolean,
  ): Promise<void> {
    if (acquire) {
      const sock = await this.writer(handle, path);
      if (sock && value.length <= this.link.mtu() - WRITE_HEADER) {
        try {
          await sock.write(value);
          this.stats.acquiredWrites++;
          return;
        } catch (e) {
          if (e instanceof NotConnectedError) throw e;
          this.stats.lastFallback = `AcquireWrite fd: ${(e as Error).message}`;
          sock.close();
          this.writers.set(handle, Promise.resolve(undefined));
        }
      }
    }
    // bluetoothd refuses WriteValue ("Write acquired") while our AcquireWrite fd is open.
    if (this.writers.has(handle)) await this.releaseWriter(handle, path);
    this.stats.dbusWrites++;
    // A command is answered once bluetoothd queued it, and one queued at a time leaves on the
    // first free bearer, which is the same one each time: this keeps commands in order. A
    // request is refused while another is pending.
    await this.calls.run(`${path} write`, () => writeCharacteristic(this.bus, path, value, type));
  }

  async writeDescriptor(path: string, value: Buffer): Promise<void> {
    await this.calls.run(`${path} write`, () => writeDescriptor(this.bus, path, value));
  }

  /**
   * Starts a notification session, replacing any earlier one of the characteristic. With
   * `acquire` it tries AcquireNotify first and falls back to StartNotify.
   */
  async subscribe(
    handle: number,
    path: string,
    acquire: boolean,
    onValue: (value: Buffer) => void,
  ): Promise<void> {
    await this.unsubscribe(handle);
    if (acquire) {
      try {
        await this.acquireNotify(handle, path, onValue);
        return;
      } catch (e) {
        // Falls back to StartNotify (e.g. the characteristic is already notifying via D-Bus).
        if (!(e instanceof BleError) || e instanceof NotConnectedError) throw e;
        this.stats.lastFallback = `AcquireNotify: ${e.message}`;
      }
    }
    const off = await startNotify(this.bus, path, onValue);
    this.stats.startNotify++;
    this.subs.set(handle, {
      path,
      stop: async () => {
        off();
        // A local disconnect ends the session with the link: no StopNotify round trip first.
        if (this.link.up() && !this.link.leaving()) await stopNotify(this.bus, path);
      },
    });
  }

  /**
   * Whether the session of `handle` still delivers while the characteristic's object is at
   * `path` now: bluetoothd keeps a session as long as that object stays.
   */
  alive(handle: number, path: string | undefined): boolean {
    const sub = this.subs.get(handle);
    if (!sub || sub.removed || sub.socket?.isClosed) return false;
    return path === sub.path;
  }

  async unsubscribe(handle: number): Promise<void> {
    const sub = this.subs.get(handle);
    if (!sub) return;
    this.subs.delete(handle);
    await sub.stop();
  }

  /** bluetoothd removed the object at `path`, and any session on it. */
  objectRemoved(path: string): void {
    for (const sub of this.subs.values()) if (sub.path === path) sub.removed = true;
  }

  /** Ends every session and closes every socket, waiting for the session ends. */
  async close(): Promise<void> {
    const subs = [...this.subs.values()];
    this.subs.clear();
    await Promise.allSettled(subs.map((s) => s.stop()));
    for (const w of this.writers.values()) (await w)?.close();
    this.writers.clear();
  }

  /** Ends every session and closes every socket without waiting for anything. */
  dispose(): void {
    for (const s of this.subs.values()) void s.stop().catch(() => undefined);
    this.subs.clear();
    for (const w of this.writers.values()) void w.then((s) => s?.close());
    this.writers.clear();
  }

  private async acquireNotify(
    handle: number,
    path: string,
    onValue: (value: Buffer) => void,
  ): Promise<void> {
    const { socket, mtu } = await acquireNotify(this.bus, path, onValue);
    this.stats.acquiredNotify++;
    this.raiseMtu(mtu);
    this.subs.set(handle, {
      path,
      socket,
      // Closing the fd is how a client ends an acquired notification session; bluetoothd
      // notices the hangup later and refuses StartNotify ("Notify acquired") until then.
      stop: async () => {
        socket.close();
        // Waiting for bluetoothd to notice the hangup only matters if the link stays up.
        if (this.link.usable() && !this.link.leaving()) {
          await acquiredReleased(this.bus, path, 'NotifyAcquired', () => this.link.usable());
        }
      },
    });
  }

  private writer(handle: number, path: string): Promise<PacketSocket | undefined> {
    if (this.refusedWriters.has(handle)) return Promise.resolve(undefined);
    let w = this.writers.get(handle);
    if (!w) {
      w = acquireWrite(this.bus, path)
        .then(({ socket, mtu }) => {
          this.raiseMtu(mtu);
          socket.on('close', () => this.writers.delete(handle));
          return socket;
        })
        .catch((e: unknown) => {
          // This write and the later ones to it go as WriteValue: asking again on every write
          // would add a refused call to each (a new link asks afresh).
          this.refusedWriters.add(handle);
          this.stats.lastFallback = `AcquireWrite: ${(e as Error).message}`;
          return undefined;
        });
      this.writers.set(handle, w);
    }
    return w;
  }

  /** Closes the AcquireWrite fd of a characteristic and waits until bluetoothd let go of it. */
  private async releaseWriter(handle: number, path: string): Promise<void> {
    const w = this.writers.get(handle);
    this.writers.delete(handle);
    const sock = await w;
    if (!sock) return;
    sock.close();
    if (this.link.usable()) {
      await acquiredReleased(this.bus, path, 'WriteAcquired', () => this.link.usable());
    }
  }

  private raiseMtu(mtu: number | undefined): void {
    if (mtu !== undefined) this.link.raiseMtu(mtu);
  }
}
