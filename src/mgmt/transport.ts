/**
 * The kernel side: an HCI_CHANNEL_CONTROL socket, opened and polled by blekit's own
 * native addon (src/native), which reads whole frames of any length on the main thread.
 * Anything that moves whole mgmt frames can stand in for it (tests use a fake kernel).
 */
import { BleError } from '../core/errors.js';
import { openHciControlSocket } from '../native/hci.js';
import type { PacketSocket } from '../native/seqpacket.js';

/** What Mgmt talks to: the kernel's control socket, or a stand-in that moves whole frames. */
export interface MgmtTransport {
  /** Sends one whole frame; throws if the kernel refuses it. */
  write(frame: Buffer): void;
  /** Receives each frame the kernel sends, one datagram per call. */
  onFrame(listener: (frame: Buffer) => void): void;
  /** A read or write failure after opening. */
  onError(listener: (err: Error) => void): void;
  /** Closes the socket; no frame arrives after it. */
  close(): void;
}

/** Opens and binds the control channel; NotSupportedError where there is no AF_BLUETOOTH. */
export function openControlSocket(): MgmtTransport {
  const sock: PacketSocket = openHciControlSocket();
  return {
    write(frame) {
      if (sock.isClosed) throw new BleError('The mgmt socket is closed', 'ERR_MGMT_CLOSED');
      // The kernel takes a whole command or refuses it at once; it never fills up.
      if (!sock.tryWrite(frame)) {
        throw new BleError('mgmt write would block', 'ERR_MGMT_SOCKET');
      }
    },
    onFrame(listener) {
      sock.on('packets', (frames) => {
        for (const f of frames) listener(f);
      });
    },
    onError(listener) {
      sock.on('error', listener);
    },
    close() {
      sock.close();
    },
  };
}
