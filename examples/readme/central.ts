// The central snippet from README.md, compiled by the build; test/unit/readme.test.ts keeps the two equal.
import { Central, DbusBackend } from '../../src/index.js';

const central = new Central({ backend: new DbusBackend(), adapter: 'hci0' });
await central.start();
const [battery] = await central.scan({ durationMs: 5000, serviceUuids: ['180f'] });
if (!battery) throw new Error('no device advertising the Battery service (180f) found');
const device = await central.connect(battery.address, { timeoutMs: 20_000, autoReconnect: true });
await device.discover();
console.log('battery', (await device.read('2a19'))[0], '%'); // by UUID, { service, characteristic }, or { handle }
await device.subscribe('2a19', (value) => console.log('battery now', value[0], '%'));
device.registerDisconnectCallback((_d, reason) => console.log('gone:', reason));
// ... later
await central.stop(); // disconnects and frees every resource
