// A BTHome sensor made with blekit's peripheral API, for the gateway lab test: advertises the
// values given as JSON on argv[3] from adapter argv[2]; each JSON line on stdin replaces them.
// Connectable, so BlueZ advertises from the public address (a broadcast gets a new random one
// each time). btvirt reports an advertisement once per enable, so it re-advertises every 1.5 s, as a real
// sensor's periodic advertising would be seen.
import { createInterface } from 'node:readline';
import { Peripheral, type Advertisement } from '../../../src/peripheral/index.js';
import { bthomeAdvertisement } from '../../../src/peripheral/bthome.js';
import type { BthomeValue } from '../../../src/formats/index.js';

const adapter = process.argv[2] ?? 'hci1';
let values = JSON.parse(process.argv[3] ?? '[]') as BthomeValue[];
const p = await Peripheral.open({ adapter, handleSignals: false });
let stopping = false;
const lines = createInterface({ input: process.stdin });
lines.on('line', (l) => {
  values = JSON.parse(l) as BthomeValue[];
});
process.on('SIGTERM', () => (stopping = true));
process.on('SIGINT', () => (stopping = true));
let first = true;
while (!stopping) {
  const ad: Advertisement = await p.advertise(
    bthomeAdvertisement(values, { localName: 'blekit th', connectable: true }),
  );
  if (first) console.log(JSON.stringify({ event: 'advertising' }));
  first = false;
  await new Promise((r) => setTimeout(r, 1500));
  await ad.stop();
}
await p.close();
// The open stdin pipe would keep the process alive (the test's stop() then waits 15 s to kill).
lines.close();
process.stdin.destroy();
