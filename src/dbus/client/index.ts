/** blekit's D-Bus client: connect to the system bus over the native unix stream socket. */
import { nativeAvailable, closeFd } from '../../native/seqpacket.js';
import { UnixStream, connectUnix } from '../../native/unix-stream.js';
import { BackendError } from '../../core/errors.js';
import { systemBusPath } from './address.js';
import { DEFAULT_HANDSHAKE_TIMEOUT_MS, DbusClient, setFdCloser } from './connection.js';

export {
  DbusClient,
  DEFAULT_CALL_TIMEOUT_MS,
  type Outgoing,
  type ByteStream,
  type MethodHandler,
} from './connection.js';
export { DbusError } from './errors.js';
export { Variant, type VariantLike } from './variant.js';
export { type MatchRule, type SignalHandler } from './signals.js';
export {
  ObjectTree,
  Reply,
  type InterfaceSpec,
  type MethodResult,
  type MethodSpec,
  type ObjectSpec,
  type PropertySpec,
} from './object-tree.js';
export { systemBusPath, unixPathFromAddress } from './address.js';

export interface ConnectOptions {
  /** Socket path; default: the system bus (DBUS_SYSTEM_BUS_ADDRESS or its default path). */
  path?: string;
  timeoutMs?: number;
  negotiateUnixFd?: boolean;
}

/** True when this client can run here (it needs the native addon's stream sockets). */
export function clientAvailable(): boolean {
  return nativeAvailable();
}

/** Connects, authenticates and says Hello; rejects with a typed error, never hangs. */
export async function connectBus(options: ConnectOptions = {}): Promise<DbusClient> {
  const path = options.path ?? systemBusPath();
  let stream: UnixStream;
  try {
    stream = new UnixStream(connectUnix(path));
  } catch (e) {
    throw new BackendError(`Cannot connect to D-Bus at ${path}: ${(e as Error).message}`, {
      cause: e,
      backend: 'dbus',
    });
  }
  setFdCloser(closeFd);
  const client = new DbusClient(stream, options.negotiateUnixFd ?? true);
  await client.handshake(
    process.getuid?.() ?? 0,
    options.timeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS,
  );
  return client;
}
