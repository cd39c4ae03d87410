// btvirt sends one advertising report each time a peer enables advertising, and the kernel drops
// it when it lands a moment before discovery is marked started (seen in btmon: no Device Found,
// then nothing until bluetoothd restarts discovery about 10 s later). Real radios repeat their
// adverts; in the lab a test that connects to an advertiser re-enables it until connected.
import type { Central, ConnectOptions, Device } from '../../../src/central/index.js';

/** The part of a lab peer this needs: its address and an advertising switch. */
export interface Advertiser {
  readonly address: string;
  advertise(on: boolean): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * central.connect() to `peer` while re-enabling its advertising every few seconds; advertising
 * is off again when this returns or throws.
 */
export async function connectWhileAdvertising(
  central: Central,
  peer: Advertiser,
  options: ConnectOptions = {},
): Promise<Device> {
  let done = false;
  const connecting = central
    .connect(peer.address, { timeoutMs: 90_000, addressType: 'public', ...options })
    .finally(() => (done = true));
  const nudging = (async () => {
    await peer.advertise(true).catch(() => undefined);
    while (!done) {
      for (let i = 0; i < 15 && !done; i++) await sleep(100);
      if (!done) await peer.advertise(true).catch(() => undefined);
      // Spaced out so that a connection being set up rarely meets a re-enable.
      for (let i = 0; i < 30 && !done; i++) await sleep(100);
    }
  })();
  try {
    return await connecting;
  } finally {
    await nudging;
    await peer.advertise(false).catch(() => undefined);
  }
}
