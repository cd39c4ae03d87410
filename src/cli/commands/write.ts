import type { Command } from 'commander';
import { InvalidArgumentError, uuidName, withTimeout } from '../../core/index.js';
import { MAX_ATTRIBUTE_LENGTH } from '../../protocol/index.js';
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
import { addFormatOptions, parseWriteValue, type FormatFlags } from '../values.js';

export function registerWrite(program: Command): void {
  const cmd = program
    .command('write')
    .description('write a characteristic value (with response unless --no-response)')
    .argument('<address>', 'the device address')
    .argument('<characteristic>', 'UUID (2a06), SERVICE/CHAR (1802/2a06) or value handle (0x002a)')
    .argument('<value>', 'the bytes to write, as hex unless --utf8 or --base64')
    .option('--no-response', 'write without response (Write Command)')
    .addHelpText(
      'after',
      `
Hex values may be written 0102ff, "01 02 ff", 01:02:ff or 0x0102ff. The value is checked
before anything connects: a value that does not parse exits with code 2.

Examples:
  $ blekit write 00:AA:01:01:00:01 2a06 02
  $ blekit write 00:AA:01:01:00:01 0x0030 "hello" --utf8
  $ blekit write 00:AA:01:01:00:01 6e400002-b5a3-f393-e0a9-e50e24dcca9e AQID --base64 --no-response`,
    );
  addFormatOptions(cmd, 'the value is');
  addConnectOptions(addCommonOptions(cmd, { help: 'whole command within (s)', default: 30 }));
  cmd.action(
    action(
      async (
        out,
        address: string,
        target: string,
        text: string,
        o: ConnectOptions & FormatFlags & { response: boolean },
      ) => {
        const ref = parseTarget(target);
        const value = parseWriteValue(text, o);
        if (value.length > MAX_ATTRIBUTE_LENGTH) {
          throw new InvalidArgumentError(
            `Value is ${value.length} bytes; attributes hold at most ${MAX_ATTRIBUTE_LENGTH}`,
          );
        }
        const interrupt = interruptSignal();
        try {
          await withDevice(address, o, out, interrupt.signal, async (device, deadline) => {
            const c = await device.characteristic(ref);
            await withTimeout(
              device.write(ref, value, { withoutResponse: !o.response }),
              remaining(deadline),
              'write',
              interrupt.signal,
            );
            out.ok(
              {
                address: device.address,
                uuid: c.uuid,
                name: uuidName(c.uuid) ?? null,
                handle: c.valueHandle,
                bytes: value.length,
                withResponse: o.response,
              },
              () => `wrote ${value.length} byte${value.length === 1 ? '' : 's'} to ${c.uuid}`,
            );
          });
        } finally {
          interrupt.dispose();
        }
      },
    ),
  );
}
