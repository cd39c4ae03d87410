// Included services on the BGAPI backend: Read By Type 0x2802 to the emulated BLED112, which
// lays the Include declarations out from its D-Bus central's view of the peer.
import { BgapiBackend } from '../../../src/backends/bgapi/index.js';
import { includedServicesSuite } from '../central/includes.js';
import { emulatorForThisFile } from './emulator-process.js';

const port = await emulatorForThisFile();

includedServicesSuite('bgapi (emulated BLED112 on a pty)', () => new BgapiBackend({ port }), true);
