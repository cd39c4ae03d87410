// Included services on the gatttool backend (gatttool's `included`).
import { GatttoolBackend } from '../../../src/backends/gatttool/index.js';
import { includedServicesSuite } from '../central/includes.js';

includedServicesSuite(
  'gatttool',
  () => new GatttoolBackend({ logFile: '/tmp/blekit-gatttool-includes.log' }),
  true,
);
