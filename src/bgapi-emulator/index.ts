// The BGAPI dongle emulator: a BLED112 as its host sees it on a pty, its radio work done by any
// CentralBackend (the D-Bus backend in the lab). state.ts holds the dongle; handlers/ carries out
// the commands, one module per BGAPI class.
import type { CentralBackend } from '../central/backend.js';
import { withTimeout } from '../core/index.js';
import { DongleEmulator } from './dongle.js';
import { openPtyRelay } from './pty.js';

export { DongleEmulator, EMULATED_VERSION, type DongleEmulatorOptions } from './dongle.js';
export { attributeTable, type Attribute } from './att-table.js';
export { openPtyRelay, type PtyRelay } from './pty.js';

export interface PtyEmulator {
  /** The pty path to give the BGAPI backend as its port. */
  path: string;
  emulator: DongleEmulator;
  close(): Promise<void>;
}

/** A BGAPI dongle on a pseudo-terminal, its radio work done by `backend` (D-Bus in the lab). */
export async function startPtyEmulator(o: {
  backend: CentralBackend;
  adapter?: string | number;
  link?: string;
  trace?: (line: string) => void;
  startTimeoutMs?: number;
}): Promise<PtyEmulator> {
  const relay = await openPtyRelay(o.link);
  const emulator = new DongleEmulator({
    backend: o.backend,
    adapter: o.adapter,
    send: (b) => relay.write(b),
    trace: o.trace,
  });
  try {
    // A missing system bus or bluetoothd must fail loudly, not leave a dongle that never boots.
    await withTimeout(
      emulator.start(),
      o.startTimeoutMs ?? 20_000,
      "starting the emulator's central",
    );
  } catch (err) {
    await relay.close();
    await o.backend.stop().catch(() => undefined);
    throw err;
  }
  relay.onData((b) => emulator.receive(b));
  return {
    path: relay.path,
    emulator,
    close: async () => {
      await emulator.close().catch(() => undefined);
      await relay.close();
    },
  };
}
