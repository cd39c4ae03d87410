import {
  BackendError,
  InvalidArgumentError,
  NotFoundError,
  NotSupportedError,
  PermissionError,
} from '../../core/index.js';
import { describeValue } from '../../core/describe.js';

type SerialPortModule = typeof import('serialport');

let serialport: Promise<SerialPortModule> | undefined;

/**
 * serialport, loaded on first use: it is an optional peer dependency (a native package most
 * users, who never touch a BGAPI dongle, should not have to install).
 */
function loadSerialPort(): Promise<SerialPortModule> {
  serialport ??= import('serialport').catch((err: unknown) => {
    serialport = undefined;
    const code = (err as { code?: unknown }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new NotSupportedError(
        'the BGAPI backend needs the "serialport" package, which is not installed: npm install serialport',
        { cause: err },
      );
    }
    throw new BackendError(`serialport failed to load: ${(err as Error).message}`, {
      cause: err,
      backend: 'bgapi',
    });
  });
  return serialport;
}

/** A byte pipe to a BGAPI dongle (serial port, pseudo-terminal, or an in-memory pair in tests). */
export interface BgapiPort {
  /** Resolves once the bytes are handed to the OS. */
  write(bytes: Buffer): Promise<void>;
  /** Receives bytes as they arrive, in chunks that need not match BGAPI frames. */
  onData(cb: (bytes: Buffer) => void): void;
  /** Called once when the port goes away (closed by us, unplugged, reset re-enumeration). */
  onClose(cb: (err?: Error) => void): void;
  /** Closes the port; resolves once the OS has released it. */
  close(): Promise<void>;
  /** The device path, e.g. '/dev/ttyACM0'. */
  readonly path: string;
}

/** Silicon Labs BLED112 USB IDs (CDC ACM, so it appears as /dev/ttyACMn on Linux). */
export const BLED112_VENDOR_ID = '2458';
/** USB product ID of the BLED112. */
export const BLED112_PRODUCT_ID = '0001';

/** How to open the dongle's serial port. */
export interface SerialOptions {
  /** Port path; default: the first (or index-th) serial device with the BLED112 USB IDs. */
  path?: string;
  index?: number;
  baudRate?: number;
}

/** Serial device paths of attached BLED112-style dongles, in the order the OS lists them. */
export async function findDongles(): Promise<string[]> {
  const { SerialPort } = await loadSerialPort();
  const ports = await SerialPort.list();
  return ports
    .filter(
      (p) =>
        p.vendorId?.toLowerCase() === BLED112_VENDOR_ID &&
        p.productId?.toLowerCase() === BLED112_PRODUCT_ID,
    )
    .map((p) => p.path);
}

function mapOpenError(err: unknown, path: string): Error {
  const msg = err instanceof Error ? err.message : String(err);
  if (/ENOENT|No such file|cannot open/i.test(msg) && !/EACCES|Permission/i.test(msg)) {
    return new NotFoundError(`BGAPI port ${path} does not exist (${msg})`, { cause: err });
  }
  if (/EACCES|Permission denied|EPERM/i.test(msg)) {
    return new PermissionError(
      `No permission to open ${path}: add your user to the group owning it (often 'dialout') or use a udev rule (${msg})`,
      { cause: err },
    );
  }
  if (/EBUSY|Resource busy|lock/i.test(msg)) {
    return new BackendError(`BGAPI port ${path} is in use by another program (${msg})`, {
      cause: err,
      backend: 'bgapi',
    });
  }
  return new BackendError(`Cannot open BGAPI port ${path}: ${msg}`, {
    cause: err,
    backend: 'bgapi',
  });
}

/** Resolves which port to open: the given path, or a dongle found by its USB IDs. */
export async function resolvePortPath(o: SerialOptions): Promise<string> {
  if (o.path !== undefined) {
    if (typeof o.path !== 'string' || o.path === '') {
      throw new InvalidArgumentError(`BGAPI port must be a device path: ${describeValue(o.path)}`);
    }
    return o.path;
  }
  const found = await findDongles();
  const i = o.index ?? 0;
  const path = found[i];
  if (path === undefined) {
    throw new NotFoundError(
      found.length === 0
        ? `No BGAPI dongle found (USB ${BLED112_VENDOR_ID}:${BLED112_PRODUCT_ID}); give the port path explicitly`
        : `Only ${found.length} BGAPI dongle(s) found; no index ${i}`,
    );
  }
  return path;
}

/** Opens a serial port (raw, 8N1) as a BgapiPort. */
export async function openSerialPort(o: SerialOptions): Promise<BgapiPort> {
  const path = await resolvePortPath(o);
  const { SerialPort } = await loadSerialPort();
  const port = new SerialPort({ path, baudRate: o.baudRate ?? 115200, autoOpen: false });
  await new Promise<void>((resolve, reject) =>
    port.open((err) => (err ? reject(mapOpenError(err, path)) : resolve())),
  );
  let closed = false;
  const closers: ((err?: Error) => void)[] = [];
  const fireClose = (err?: Error): void => {
    if (closed) return;
    closed = true;
    for (const c of closers) c(err);
  };
  port.on('close', (err?: Error) => fireClose(err ?? undefined));
  port.on('error', (err: Error) => fireClose(err));
  return {
    path,
    write: (bytes) =>
      new Promise<void>((resolve, reject) => {
        if (closed) {
          reject(new BackendError(`BGAPI port ${path} is closed`, { backend: 'bgapi' }));
          return;
        }
        port.write(bytes, (err) =>
          err
            ? reject(
                new BackendError(`BGAPI write failed: ${err.message}`, {
                  cause: err,
                  backend: 'bgapi',
                }),
              )
            : resolve(),
        );
      }),
    onData: (cb) => port.on('data', cb),
    onClose: (cb) => closers.push(cb),
    close: () =>
      new Promise<void>((resolve) => {
        if (closed || !port.isOpen) {
          fireClose();
          resolve();
          return;
        }
        port.close(() => {
          fireClose();
          resolve();
        });
      }),
  };
}
