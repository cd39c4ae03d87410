/**
 * What every socket on the native addon's poller shares: the addon's handle for the fd, whether
 * it keeps the process alive, and letting go of both exactly once.
 */
import { EventEmitter } from 'node:events';
import { need } from './addon.js';

export abstract class WatchedFd<T extends Record<keyof T, unknown[]>> extends EventEmitter<T> {
  /** Set by the subclass once the addon watches the fd; null after release(). */
  protected handle: unknown = null;
  private released = false;

  constructor(readonly fd: number) {
    super();
  }

  get isClosed(): boolean {
    return this.released;
  }

  /** Whether the socket keeps the process alive (like net.Socket's ref/unref). */
  ref(): this {
    if (!this.released) need().ref(this.handle, true);
    return this;
  }

  unref(): this {
    if (!this.released) need().ref(this.handle, false);
    return this;
  }

  abstract close(): void;

  /** Stops the watch and closes the fd; false when that happened already. */
  protected release(): boolean {
    if (this.released) return false;
    this.released = true;
    need().close(this.handle);
    this.handle = null;
    return true;
  }
}
