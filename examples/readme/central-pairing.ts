// The central pairing snippet from README.md, compiled by the build; test/unit/readme.test.ts keeps the two equal.
import { Central, DbusBackend } from '../../src/index.js';

const central = new Central({ backend: new DbusBackend(), adapter: 'hci0' });
await central.start();
// bluetoothd asks an agent about every pairing: this one accepts Just Works, refuses the rest.
await central.registerAgent({ onConfirm: () => true, onAuthorize: () => true });
const [peer] = await central.scan({ durationMs: 5000, serviceUuids: ['180f'] });
if (!peer) throw new Error('no device advertising the Battery service (180f) found');
const device = await central.connect(peer.address, { securityLevel: 'medium' }); // pairs and bonds
console.log('paired with', device.address);
await central.stop(); // unregisters the agent too
