// `npm run soak`'s matrix: on each backend (D-Bus, gatttool, the BGAPI dongle emulator), blekit's
// central loops connect -> discover -> read -> subscribe -> disconnect against blekit's own
// peripheral and against an independent one (BlueZ's example-gatt-server), both on hci1 in
// their own processes. Each pair prints cycle latency (median, p95), phase medians, failures and
// the central's fds, RSS, bus listeners and match rules at cycles 0/1/50/100/200.
// BLEKIT_SOAK_MATRIX_CYCLES sets the cycles per pair (default 200); BLEKIT_SOAK_BACKENDS and
// BLEKIT_SOAK_PEERS narrow the matrix (comma lists). Goal: 0 failures, no growth.
import { after, before, describe, test } from 'node:test';
import { BgapiBackend } from '../../src/backends/bgapi/index.js';
import { DbusBackend } from '../../src/backends/dbus/index.js';
import { GatttoolBackend } from '../../src/backends/gatttool/index.js';
import type { CentralBackend } from '../../src/central/backend.js';
import { Central } from '../../src/central/index.js';
import { assertInLab } from '../support/proc.js';
import { startEmulator, type Emulator } from '../lab/bgapi/emulator-process.js';
import { connectWhileAdvertising } from '../lab/central/advertised-connect.js';
import { CONFORMANCE, READ_VALUE, type ConformancePeer } from '../lab/central/peer.js';
import { blekitPeripheralPeer } from '../lab/central/peers/blekit-peripheral.js';
import { bluezExamplePeer } from '../lab/central/peers/bluez-example.js';
import { forgetPeers } from '../lab/peripheral/support.js';
import { soak } from '../lab/soak/cycles.js';

const CYCLES = Number(process.env.BLEKIT_SOAK_MATRIX_CYCLES ?? 200);
const pick = (env: string | undefined, all: string[]) =>
  env ? all.filter((x) => env.split(',').includes(x)) : all;
const BACKENDS = pick(process.env.BLEKIT_SOAK_BACKENDS, ['dbus', 'gatttool', 'bgapi']);
const PEERS = pick(process.env.BLEKIT_SOAK_PEERS, ['bluez-example', 'blekit-peripheral']);

let emulator: Emulator | undefined;

async function makeBackend(name: string): Promise<CentralBackend> {
  if (name === 'dbus') return new DbusBackend();
  if (name === 'gatttool') return new GatttoolBackend();
  emulator ??= await startEmulator();
  return new BgapiBackend({ port: emulator.path });
}

function makePeer(name: string): ConformancePeer {
  return name === 'blekit-peripheral' ? blekitPeripheralPeer() : bluezExamplePeer();
}

before(async () => {
  assertInLab();
  await forgetPeers();
});

after(async () => {
  await emulator?.stop();
  await forgetPeers();
});

for (const backendName of BACKENDS) {
  for (const peerName of PEERS) {
    describe(`soak: ${backendName} backend against ${peerName}`, () => {
      const peer = makePeer(peerName);
      before(() => peer.start());
      after(() => peer.stop());

      test(`${CYCLES} cycles`, { timeout: CYCLES * 120_000 }, async () => {
        const backend = await makeBackend(backendName);
        const central = new Central({ backend, adapter: 'hci0' });
        await central.start();
        await soak({
          label: `${backendName} vs ${peerName}`,
          cycles: CYCLES,
          central,
          backend,
          connect: () => connectWhileAdvertising(central, peer, { timeoutMs: 30_000 }),
          read: { uuid: CONFORMANCE.read, value: READ_VALUE },
          subscribe: CONFORMANCE.seq,
        });
      });
    });
  }
}
