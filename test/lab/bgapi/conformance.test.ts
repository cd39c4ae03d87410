// The central conformance suite with the BGAPI backend: it talks BGAPI over a pseudo-terminal
// to `blekit bgapi-emulator`, a separate process that carries the work out on hci0 through
// blekit's D-Bus central, against the peer on hci1.
import { BgapiBackend } from '../../../src/backends/bgapi/index.js';
import { centralConformance } from '../central/conformance.js';
import { bluezExamplePeer } from '../central/peers/bluez-example.js';
import { emulatorForThisFile } from './emulator-process.js';

const port = await emulatorForThisFile();

centralConformance(
  'bgapi (emulated BLED112 on a pty)',
  () => new BgapiBackend({ port }),
  () => bluezExamplePeer(),
);
