// The central snippet from README.md, compiled by the build; test/unit/readme.test.ts keeps the two equal.
import { Central, DbusBackend } from '../../src/index.js';

const central = new Central({ backend: new DbusBackend(), adapter: 'hci0' });
await central.start();
const found = await central.scan({ durationMs: 5000, serviceUuids: ['180d'] });
const device = await central.connect(found[0]!.address, { timeoutMs: 20_000, autoReconnect: true });
await device.discover();
console.log(await device.read('2a38')); // by UUID, { service, characteristic }, or { handle }
await device.subscribe('2a37', (value) => console.log('heart rate', value[1]));
device.registerDisconnectCallback((_d, reason) => console.log('gone:', reason));
// ... later
await central.stop(); // disconnects and frees every resource
