import { Command } from 'commander';
import { registerBgapi } from './commands/bgapi.js';
import { registerCompletion } from './commands/completion.js';
import { registerDoctor } from './commands/doctor.js';
import { registerInfo } from './commands/info.js';
import { registerLab } from './commands/lab.js';
import { registerMgmt } from './commands/mgmt.js';
import { registerNotify } from './commands/notify.js';
import { registerRead } from './commands/read.js';
import { registerScan } from './commands/scan.js';
import { registerServe } from './commands/serve.js';
import { registerWrite } from './commands/write.js';
import { EXIT_CODE_HELP } from './exit-codes.js';
import { setProgramIo, type ProgramIo } from './output.js';

export const JSON_HELP = `JSON output (--json):
  one-shot commands print {"result":"ok","value":...} or
  {"result":"error","reason":"...","exitCode":N,"code":"ERR_BLE_..."};
  streams (scan, notify, serve) print one JSON object per line and end with the error object
  if they fail. Errors are also one line on stderr.`;

/** The whole `blekit` command tree (main.ts runs it; completion and tests walk it). */
export function buildProgram(io?: ProgramIo): Command {
  const program = new Command();
  if (io) {
    // Set before the subcommands exist: they copy the output settings when created.
    program.configureOutput({
      writeOut: (s) => void io.stdout.write(s),
      writeErr: (s) => void io.stderr.write(s),
    });
    setProgramIo(program, io);
  }
  program
    .name('blekit')
    .description('Bluetooth Low Energy toolkit for Linux')
    .version('0.1.0')
    // Usage errors become exit code 2 in main.ts instead of commander's exit(1).
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    .addHelpText(
      'after',
      `
Examples:
  $ blekit scan --timeout 5
  $ blekit info 00:AA:01:01:00:01
  $ blekit read 00:AA:01:01:00:01 2a19
  $ blekit notify 00:AA:01:01:00:01 2a37 --count 5 --json
  $ blekit serve heart-rate.yaml --adapter hci1
  $ blekit doctor

Common options (scan, info, read, write, notify): --adapter hciN, --backend dbus|gatttool|bgapi,
--timeout S, --json, --debug.

${JSON_HELP}

${EXIT_CODE_HELP}`,
    );
  registerScan(program);
  registerInfo(program);
  registerRead(program);
  registerWrite(program);
  registerNotify(program);
  registerServe(program);
  registerDoctor(program);
  registerCompletion(program);
  registerLab(program);
  registerMgmt(program);
  registerBgapi(program);
  return program;
}
