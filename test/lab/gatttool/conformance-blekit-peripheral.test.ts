// The central conformance suite: gatttool backend against blekit's own peripheral on hci1.
import { GatttoolBackend } from '../../../src/backends/gatttool/index.js';
import { centralConformance } from '../central/conformance.js';
import { blekitPeripheralPeer } from '../central/peers/blekit-peripheral.js';

centralConformance(
  'gatttool',
  () => new GatttoolBackend({ logFile: '/tmp/blekit-gatttool-conformance-blekit.log' }),
  () => blekitPeripheralPeer(),
);
