// The central conformance suite: gatttool backend against BlueZ's example-gatt-server on hci1.
import { GatttoolBackend } from '../../../src/backends/gatttool/index.js';
import { centralConformance } from '../central/conformance.js';
import { bluezExamplePeer } from '../central/peers/bluez-example.js';

centralConformance(
  'gatttool',
  () => new GatttoolBackend({ logFile: '/tmp/blekit-gatttool-conformance-example.log' }),
  () => bluezExamplePeer(),
);
