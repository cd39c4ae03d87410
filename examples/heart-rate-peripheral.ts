// A heart-rate monitor peripheral, like bluez-peripheral's example: a Heart Rate service
// (0x180D) whose measurement (0x2A37) notifies a new value every interval, an agent for
// pairing, and an advertisement. Stops on SIGINT/SIGTERM or after --count updates.
//
//   node dist/examples/heart-rate-peripheral.js [--adapter hci1] [--interval 1000] [--count N]
import { parseArgs } from 'node:util';
import { Agent, characteristic, Peripheral, Service } from '../src/peripheral/index.js';

class HeartRateService extends Service {
  private rate = 0;

  constructor() {
    super('180d');
  }

  // Flags 0x00: 8-bit heart rate value, no sensor contact or energy fields.
  @characteristic('2a37', { flags: ['read', 'notify'] })
  heartRateMeasurement(): Uint8Array {
    return Uint8Array.of(0x00, this.rate);
  }

  // Body sensor location: 1 = chest.
  @characteristic('2a38', { flags: ['read'] })
  bodySensorLocation(): Uint8Array {
    return Uint8Array.of(1);
  }

  async updateHeartRate(rate: number): Promise<void> {
    this.rate = rate;
    await this.notify('heartRateMeasurement', Uint8Array.of(0x00, rate));
  }
}

const { values } = parseArgs({
  options: {
    adapter: { type: 'string' },
    interval: { type: 'string', default: '1000' },
    count: { type: 'string' },
  },
});

const peripheral = await Peripheral.open({
  adapter: values.adapter,
  readvertiseOnDisconnect: true,
});
const hr = new HeartRateService();
await peripheral.addService(hr);
// Just Works pairing, accepted: this example opts in.
await peripheral.registerAgent(
  new Agent({ capability: 'NoInputNoOutput', onConfirm: () => true, onAuthorize: () => true }),
);
// Appearance 0x0340: generic heart rate sensor. timeout 60 s like the seed's advertisement.
await peripheral.advertise({
  localName: 'Heart Monitor',
  serviceUuids: ['180d'],
  appearance: 0x0340,
  timeout: 60,
});
peripheral.on('connect', (d) => console.log(`connected ${d.address}`));
peripheral.on('disconnect', (d) => console.log(`disconnected ${d.address}`));
peripheral.on('subscribe', (ev) => console.log(`subscribed ${ev.characteristic.uuid}`));
console.log(`ready on ${peripheral.adapter.name} (${peripheral.adapter.address})`);

const interval = Number(values.interval);
const count = values.count === undefined ? Infinity : Number(values.count);
for (let i = 0; i < count; i++) {
  const rate = 60 + (i % 60);
  await hr.updateHeartRate(rate);
  console.log(`heart rate ${rate}`);
  await new Promise((r) => setTimeout(r, interval));
}
await peripheral.close();
