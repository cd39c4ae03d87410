// The peripheral snippet from README.md, compiled by the build; test/unit/readme.test.ts keeps the two equal.
import { Agent, characteristic, Peripheral, Service } from '../../src/index.js';

class Battery extends Service {
  level = 100;
  constructor() {
    super('180f');
  }
  @characteristic('2a19', { flags: ['read', 'notify'] })
  batteryLevel(): Uint8Array {
    return Uint8Array.of(this.level);
  }
}

const peripheral = await Peripheral.open({ adapter: 'hci1' });
const battery = new Battery();
await peripheral.addService(battery);
// Just Works pairing reaches the agent as a confirmation or an authorization request.
await peripheral.registerAgent(
  new Agent({ capability: 'NoInputNoOutput', onConfirm: () => true, onAuthorize: () => true }),
);
await peripheral.advertise({ localName: 'blekit battery', serviceUuids: ['180f'] });
await battery.notify('batteryLevel', Uint8Array.of(99)); // to every subscriber
// SIGINT/SIGTERM or peripheral.close() unregisters everything
