import type { Command } from 'commander';
import { withTimeout } from '../../core/index.js';
import {
  action,
  addCommonOptions,
  addConnectOptions,
  interruptSignal,
  remaining,
  withDevice,
  type ConnectOptions,
} from '../common.js';
import { parseTarget } from '../target.js';
import {
  addFormatOptions,
  chosenFormat,
  valueRecord,
  valueText,
  type FormatFlags,
} from '../values.js';

export function registerRead(program: Command): void {
  const cmd = program
    .command('read')
    .description('read a characteristic value (decoded when it has a known SIG format)')
    .argument('<address>', 'the device address')
    .argument('<characteristic>', 'UUID (2a19), SERVICE/CHAR (180f/2a19) or value handle (0x002a)')
    .addHelpText(
      'after',
      `
Without a format flag the value prints as hex followed by its SIG decoding when blekit knows
the format (battery level, heart rate measurement, temperature, strings, appearance, PnP ID...).
With --hex, --utf8 or --base64 only the value is printed, for scripts.

Examples:
  $ blekit read 00:AA:01:01:00:01 2a19
  $ blekit read 00:AA:01:01:00:01 2a29 --utf8
  $ blekit read 00:AA:01:01:00:01 0x002a --json | jq .value.hex`,
    );
  addFormatOptions(cmd, 'print the value as');
  addConnectOptions(addCommonOptions(cmd, { help: 'whole command within (s)', default: 30 }));
  cmd.action(
    action(async (out, address: string, target: string, o: ConnectOptions & FormatFlags) => {
      const ref = parseTarget(target);
      const { format, explicit } = chosenFormat(o);
      const interrupt = interruptSignal();
      try {
        await withDevice(address, o, out, interrupt.signal, async (device, deadline) => {
          const c = await device.characteristic(ref);
          const value = await withTimeout(
            device.read(ref),
            remaining(deadline),
            'read',
            interrupt.signal,
          );
          out.ok({ address: device.address, ...valueRecord(c, value, format) }, () =>
            valueText(c, value, format, explicit),
          );
        });
      } finally {
        interrupt.dispose();
      }
    }),
  );
}
