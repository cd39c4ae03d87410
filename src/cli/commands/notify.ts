import type { Command } from 'commander';
import type { CharacteristicInfo } from '../../central/index.js';
import { AbortError, NotConnectedError, TimeoutError, withTimeout } from '../../core/index.js';
import {
  action,
  addCommonOptions,
  addConnectOptions,
  interruptSignal,
  positiveInt,
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

interface NotifyCliOptions extends ConnectOptions, FormatFlags {
  count?: number;
  indicate?: boolean;
}

export function registerNotify(program: Command): void {
  const cmd = program
    .command('notify')
    .description('subscribe and print each notified value (timestamp, value, decoding)')
    .argument('<address>', 'the device address')
    .argument('<characteristic>', 'UUID (2a37), SERVICE/CHAR (180d/2a37) or value handle (0x002a)')
    .option('-c, --count <n>', 'stop after this many values', positiveInt)
    .option('--indicate', 'use indications even when notifications are offered')
    .addHelpText(
      'after',
      `
Runs until --count values arrived, --timeout passed (whole command, connect included) or Ctrl-C.
With --count, running out of time first exits with code 4. With --json each value is one line:
{"timestamp", "uuid", "handle", "hex", "decoded"}; a failure ends with {"result":"error",...}.

Examples:
  $ blekit notify 00:AA:01:01:00:01 2a37
  $ blekit notify 00:AA:01:01:00:01 2a37 --count 10 --json
  $ blekit notify 00:AA:01:01:00:01 2a1c --indicate --timeout 60`,
    );
  addFormatOptions(cmd, 'print values as');
  addConnectOptions(
    addCommonOptions(cmd, { help: 'stop after (s), connect included; default: no limit' }),
  );
  cmd.action(
    action(async (out, address: string, target: string, o: NotifyCliOptions) => {
      const ref = parseTarget(target);
      const { format, explicit } = chosenFormat(o);
      const interrupt = interruptSignal();
      // Connecting gets 30 s unless --timeout sets a limit for everything.
      const connectOpts = { ...o, timeout: o.timeout ?? 30 };
      const end = o.timeout === undefined ? Infinity : Date.now() + o.timeout * 1000;
      let received = 0;
      try {
        await withDevice(address, connectOpts, out, interrupt.signal, async (device) => {
          const c = await device.characteristic(ref);
          let finish: () => void = () => undefined;
          const done = new Promise<void>((resolve) => (finish = resolve));
          const onValue = (value: Buffer, info: CharacteristicInfo): void => {
            if (o.count !== undefined && received >= o.count) return;
            received++;
            const timestamp = new Date().toISOString();
            if (out.json) out.record({ timestamp, ...valueRecord(info, value, format) });
            else out.line(`${timestamp}  ${valueText(info, value, format, explicit)}`);
            if (o.count !== undefined && received >= o.count) finish();
          };
          const unsubscribe = await device.subscribe(ref, onValue, {
            indicate: o.indicate ?? false,
          });
          out.note(
            `subscribed to ${c.uuid} (${o.indicate ? 'indications' : 'notifications'}); Ctrl-C to stop`,
          );
          const lost = new Promise<never>((_, reject) =>
            device.once('disconnect', () =>
              reject(new NotConnectedError(`${device.address} disconnected`)),
            ),
          );
          try {
            await withTimeout(
              Promise.race([done, lost]),
              remaining(end),
              'notify',
              interrupt.signal,
            );
          } catch (e) {
            if (e instanceof AbortError) return;
            if (e instanceof TimeoutError && o.count === undefined) return;
            if (e instanceof TimeoutError) {
              throw new TimeoutError(`got ${received} of ${o.count} values in ${o.timeout} s`);
            }
            throw e;
          } finally {
            if (device.connected) await unsubscribe().catch(() => undefined);
          }
        });
      } finally {
        interrupt.dispose();
        out.note(`${received} value${received === 1 ? '' : 's'} received`);
      }
    }),
  );
}
