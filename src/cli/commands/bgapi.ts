import type { Command } from 'commander';
import { DbusBackend } from '../../backends/dbus/index.js';
import { startPtyEmulator } from '../../bgapi-emulator/index.js';
import { adapterName } from '../common.js';

export function registerBgapi(program: Command): void {
  program
    .command('bgapi-emulator')
    .description(
      'emulate a BLED112 BGAPI dongle on a pseudo-terminal, carrying its work out on a BlueZ adapter over D-Bus',
    )
    .option(
      '-a, --adapter <hciN>',
      'the BlueZ adapter that does the radio work',
      adapterName,
      'hci0',
    )
    .option('-l, --link <path>', 'also make a symlink to the pty at this path')
    .option('--trace', 'log every BGAPI command, response and event to stderr')
    .addHelpText(
      'after',
      `
Prints "pty: /dev/pts/N" on stdout once the dongle is ready; give that path to the BGAPI
backend (new BgapiBackend({ port })) or to any BGAPI host such as pygatt. Runs until
interrupted (SIGINT/SIGTERM).`,
    )
    .action(async (o: { adapter: string; link?: string; trace?: boolean }) => {
      const trace = o.trace ? (l: string) => process.stderr.write(`bgapi ${l}\n`) : undefined;
      const emu = await startPtyEmulator({
        backend: new DbusBackend(),
        adapter: o.adapter,
        link: o.link,
        trace,
      });
      process.stdout.write(`pty: ${emu.path}\n`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await emu.close();
    });
}
