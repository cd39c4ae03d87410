// The mgmt snippet from README.md, compiled by the build; test/unit/readme.test.ts keeps the two equal.
import { Mgmt } from '../../src/index.js';

const mgmt = await Mgmt.open(); // needs CAP_NET_ADMIN
const info = await mgmt.send('ReadControllerInformation', 0, {});
console.log(info.address, info.currentSettings);
await mgmt.send('SetPowered', 0, { powered: true }, { timeoutMs: 5000 });
for await (const ev of mgmt.events(['DeviceFound'], { signal: AbortSignal.timeout(10_000) })) {
  console.log(ev);
}
mgmt.close();
