// The SOCK_SEQPACKET sockets of AcquireNotify/AcquireWrite, for both roles: the central takes an
// fd from bluetoothd's reply, the peripheral makes a pair and hands bluetoothd one end. Either
// way one packet is one ATT value, and the socket must not keep the process alive: a link that
// stays up says nothing about whether the program still wants it.
import { PacketSocket } from '../native/seqpacket.js';

export interface AcquiredSocketOptions {
  /** Writes waiting this long for room fail (see PacketSocket); absent: they wait. */
  stallTimeoutMs?: number;
  /** Where socket errors go; without it they are not emitted at all. */
  onError?: (err: Error) => void;
}

/** Wraps one end of an Acquire* socket, taking ownership of `fd`. */
export function acquiredSocket(fd: number, options: AcquiredSocketOptions = {}): PacketSocket {
  const sock =
    options.stallTimeoutMs === undefined
      ? new PacketSocket(fd)
      : new PacketSocket(fd, { stallTimeoutMs: options.stallTimeoutMs });
  sock.unref();
  if (options.onError) sock.on('error', options.onError);
  return sock;
}
