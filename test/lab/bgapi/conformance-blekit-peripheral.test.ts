// The central conformance suite with the BGAPI backend against blekit's own peripheral: BGAPI
// over a pseudo-terminal to `blekit bgapi-emulator` (hci0), the peer on hci1.
import { BgapiBackend } from '../../../src/backends/bgapi/index.js';
import { centralConformance } from '../central/conformance.js';
import { blekitPeripheralPeer } from '../central/peers/blekit-peripheral.js';
import { emulatorForThisFile } from './emulator-process.js';

const port = await emulatorForThisFile();

centralConformance(
  'bgapi (emulated BLED112 on a pty)',
  () => new BgapiBackend({ port }),
  () => blekitPeripheralPeer(),
);
