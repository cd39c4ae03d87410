import { BleError, NotSupportedError, PermissionError } from '../core/errors.js';
import { need, PacketSocket } from './seqpacket.js';

const EAFNOSUPPORT = 97;
const EPERM = 1;
const EACCES = 13;
/** A mgmt frame is a 6-byte header and up to 65535 bytes of parameters. */
const MGMT_MAX_FRAME = 6 + 65535;

/** Opens the kernel's Bluetooth Management socket (HCI_CHANNEL_CONTROL); needs CAP_NET_ADMIN. */
export function openHciControlSocket(): PacketSocket {
  if (process.platform !== 'linux') {
    throw new NotSupportedError(`the mgmt API needs Linux (this is ${process.platform})`);
  }
  let fd: number;
  try {
    fd = need().hciControlSocket();
  } catch (err) {
    throw controlSocketError(err);
  }
  return new PacketSocket(fd, { bufferSize: MGMT_MAX_FRAME });
}

/** The typed error for a failed socket()/bind() on the control channel, chosen by errno. */
export function controlSocketError(err: unknown): BleError {
  const errno = (err as { errno?: number }).errno;
  if (errno === EAFNOSUPPORT) {
    return new NotSupportedError('this kernel has no Bluetooth (AF_BLUETOOTH)', { cause: err });
  }
  if (errno === EPERM || errno === EACCES) {
    return new PermissionError(
      'opening the mgmt socket needs CAP_NET_ADMIN (run as root or grant the capability)',
      { cause: err },
    );
  }
  return new BleError(`cannot open the mgmt socket: ${(err as Error).message}`, 'ERR_MGMT_SOCKET', {
    cause: err,
  });
}
