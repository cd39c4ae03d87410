/**
 * The kernel side: an HCI_CHANNEL_CONTROL socket, opened through the native binding of
 * @stoprocent/bluetooth-hci-socket (prebuilt for linux-x64, so nothing compiles at install).
 * Anything that moves whole mgmt frames can stand in for it (tests use a fake kernel).
 */
import { createRequire } from 'node:module';
import { BleError, NotSupportedError } from '../core/errors.js';

export interface MgmtTransport {
  /** Sends one whole frame; throws if the kernel refuses it. */
  write(frame: Buffer): void;
  /** Receives each frame the kernel sends, one datagram per call. */
  onFrame(listener: (frame: Buffer) => void): void;
  /** A read or write failure after opening. */
  onError(listener: (err: Error) => void): void;
  close(): void;
}

interface NativeSocket {
  bindControl(): void;
  start(): void;
  stop(): void;
  write(data: Buffer): void;
  on(event: 'data', cb: (data: Buffer) => void): void;
  on(event: 'error', cb: (err: Error & { errno?: number }) => void): void;
  removeAllListeners(event?: string): void;
}

/**
 * The binding closes its fd when its poll thread stops and again in its destructor, so a
 * stopped socket that gets garbage-collected could close an fd number reused meanwhile.
 * Stopped sockets are therefore kept alive (a few hundred bytes each).
 */
const retired: NativeSocket[] = [];

const EAFNOSUPPORT = 97;

function loadBinding(): new () => NativeSocket {
  const require = createRequire(import.meta.url);
  try {
    return require('@stoprocent/bluetooth-hci-socket') as new () => NativeSocket;
  } catch (e) {
    throw new NotSupportedError(
      'The mgmt socket needs @stoprocent/bluetooth-hci-socket, which did not load',
      { cause: e },
    );
  }
}

/** Opens and binds the control channel; NotSupportedError where there is no AF_BLUETOOTH. */
export function openControlSocket(): MgmtTransport {
  if (process.platform !== 'linux')
    throw new NotSupportedError(`The mgmt API needs Linux (this is ${process.platform})`);
  const Binding = loadBinding();
  const sock = new Binding();
  let openError: (Error & { errno?: number }) | undefined;
  const early = (e: Error & { errno?: number }): void => {
    openError ??= e;
  };
  sock.on('error', early);
  sock.bindControl();
  if (openError === undefined) sock.start();
  if (openError !== undefined) {
    sock.removeAllListeners();
    retired.push(sock);
    const e = openError as Error & { errno?: number };
    if (e.errno === EAFNOSUPPORT)
      throw new NotSupportedError('This kernel has no Bluetooth (AF_BLUETOOTH)', { cause: e });
    throw new BleError(`Cannot open the mgmt socket: ${e.message}`, 'ERR_MGMT_SOCKET', {
      cause: e,
    });
  }
  sock.removeAllListeners('error');
  const errorListeners: ((err: Error) => void)[] = [];
  let writeError: Error | undefined;
  sock.on('error', (e) => {
    writeError = e;
    for (const l of errorListeners) l(e);
  });
  let closed = false;
  return {
    write(frame) {
      if (closed) throw new BleError('The mgmt socket is closed', 'ERR_MGMT_CLOSED');
      writeError = undefined;
      sock.write(frame);
      // The binding reports a failed write(2) synchronously through its 'error' event.
      if (writeError !== undefined) {
        const e = writeError as Error;
        throw new BleError(`mgmt write failed: ${e.message}`, 'ERR_MGMT_SOCKET', { cause: e });
      }
    },
    onFrame(listener) {
      sock.on('data', listener);
    },
    onError(listener) {
      errorListeners.push(listener);
    },
    close() {
      if (closed) return;
      closed = true;
      // stop() joins the binding's poll thread, which wakes at least once a second.
      sock.stop();
      sock.removeAllListeners();
      retired.push(sock);
    },
  };
}
