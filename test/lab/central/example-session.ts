// One Central on hci0 connected to BlueZ's example-gatt-server peer on hci1 for a whole test
// file or suite: before() starts both and connects, after() takes them down.
import { after, before } from 'node:test';
import type { CentralBackend } from '../../../src/central/backend.js';
import { Central, type Device } from '../../../src/central/index.js';
import { assertInLab } from '../../support/proc.js';
import { forgetPeers } from '../peripheral/support.js';
import { connectWhileAdvertising } from './advertised-connect.js';
import { bluezExamplePeer } from './peers/bluez-example.js';

/** Registers the hooks; `device()` is the connected Device once before() has run. */
export function exampleSession(
  peerArgs: string[],
  backend: () => CentralBackend,
): { device: () => Device } {
  const peer = bluezExamplePeer('hci1', undefined, peerArgs);
  let central: Central | undefined;
  let device: Device | undefined;

  before(async () => {
    assertInLab();
    await forgetPeers();
    await peer.start();
    central = new Central({ backend: backend(), adapter: 'hci0' });
    await central.start();
    // One advertise-then-connect failed in CI (BGAPI, both of the emulator's 30 s attempts):
    // btvirt's single report can land before the kernel's scan is listening, so keep re-enabling.
    device = await connectWhileAdvertising(central, peer, { timeoutMs: 60_000 });
  });

  after(async () => {
    await device?.disconnect().catch(() => undefined);
    await central?.stop().catch(() => undefined);
    await peer.stop().catch(() => undefined);
  });

  return {
    device: () => {
      if (!device) throw new Error('the example peer session has not started');
      return device;
    },
  };
}
