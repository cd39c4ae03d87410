import type { Command } from 'commander';
import {
  action,
  addCommonOptions,
  addConnectOptions,
  interruptSignal,
  withDevice,
  type ConnectOptions,
} from '../common.js';
import { servicesJson, servicesText } from '../format.js';

export function registerInfo(program: Command): void {
  const cmd = program
    .command('info')
    .description('connect and print the GATT tree: services, characteristics, descriptors')
    .argument('<address>', 'the device address, e.g. 00:AA:01:01:00:01')
    .addHelpText(
      'after',
      `
Each line starts with the attribute handle (for characteristics, the value handle that read,
write and notify accept as 0x....). SIG-assigned UUIDs show their names.

Examples:
  $ blekit info 00:AA:01:01:00:01
  $ blekit info 00:AA:01:01:00:01 --json | jq '.value.services[].uuid'
  $ blekit info C8:2B:96:11:22:33 --address-type random --timeout 20`,
    );
  addConnectOptions(
    addCommonOptions(cmd, { help: 'connect and discover within (s)', default: 30 }),
  );
  cmd.action(
    action(async (out, address: string, o: ConnectOptions) => {
      const interrupt = interruptSignal();
      try {
        await withDevice(address, o, out, interrupt.signal, async (device) => {
          const services = device.services;
          out.ok(
            {
              address: device.address,
              addressType: device.addressType,
              services: servicesJson(services),
            },
            () => `${device.address} (${device.addressType})\n${servicesText(services)}`,
          );
        });
      } finally {
        interrupt.dispose();
      }
    }),
  );
}
