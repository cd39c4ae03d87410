// The BGAPI backend wired to the dongle emulator in memory, with the fake central backend
// doing the "radio" work: the whole BGAPI conversation runs without a pty or Bluetooth.
import { BgapiBackend } from '../../../src/backends/bgapi/index.js';
import { DongleEmulator } from '../../../src/bgapi-emulator/dongle.js';
import type { BgapiPort } from '../../../src/backends/bgapi/transport.js';
import { FakeBackend } from '../central/fake-backend.js';

export interface Loopback {
  fake: FakeBackend;
  emulator: DongleEmulator;
  backend: BgapiBackend;
  /** Every frame the host sent, as hex, for protocol assertions. */
  sent: string[];
  /** Delivers bytes to the host as if the dongle sent them (frames the emulator would not). */
  toHost: (bytes: Buffer) => void;
}

export function loopback(): Loopback {
  const fake = new FakeBackend();
  const dataCbs: ((b: Buffer) => void)[] = [];
  const closeCbs: ((e?: Error) => void)[] = [];
  const sent: string[] = [];
  const emulator = new DongleEmulator({
    backend: fake,
    // Bytes reach the host asynchronously and in small pieces, as from a serial port.
    send: (b) =>
      setImmediate(() => {
        for (let i = 0; i < b.length; i += 7) for (const cb of dataCbs) cb(b.subarray(i, i + 7));
      }),
  });
  let started = false;
  const port: BgapiPort = {
    path: '/dev/loopback',
    write: async (b) => {
      sent.push(b.toString('hex'));
      setImmediate(() => emulator.receive(b));
    },
    onData: (cb) => dataCbs.push(cb),
    onClose: (cb) => closeCbs.push(cb),
    close: async () => {
      for (const cb of closeCbs) cb();
    },
  };
  const backend = new BgapiBackend({
    openPort: async () => {
      if (!started) {
        await emulator.start();
        started = true;
      }
      return port;
    },
  });
  const toHost = (b: Buffer): void => {
    for (const cb of dataCbs) cb(b);
  };
  return { fake, emulator, backend, sent, toHost };
}
