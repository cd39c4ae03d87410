import { Command, Help } from 'commander';
import { EXIT_CODE_HELP } from './exit-codes.js';
import { setProgramIo, type ProgramIo } from './output.js';

type Register = (program: Command) => void;

/**
 * Every command, with what the top-level help shows of it. A one-shot command loads only its own
 * module (and what that imports): opening hundreds of files costs seconds where files are slow to
 * open (the lab's 9p mount, a Pi's SD card), and `--version` or `--help` should cost nothing.
 */
const COMMANDS: readonly {
  name: string;
  term: string;
  summary: string;
  load: () => Promise<Register>;
}[] = [
  {
    name: 'scan',
    term: 'scan [options]',
    summary: 'scan for advertising devices: a live table on a terminal, NDJSON otherwise',
    load: async () => (await import('./commands/scan.js')).registerScan,
  },
  {
    name: 'info',
    term: 'info [options] <address>',
    summary: 'connect and print the GATT tree: services, characteristics, descriptors',
    load: async () => (await import('./commands/info.js')).registerInfo,
  },
  {
    name: 'read',
    term: 'read [options] <address> <characteristic>',
    summary: 'read a characteristic value (decoded when it has a known SIG format)',
    load: async () => (await import('./commands/read.js')).registerRead,
  },
  {
    name: 'write',
    term: 'write [options] <address> <characteristic> <value>',
    summary: 'write a characteristic value (with response unless --no-response)',
    load: async () => (await import('./commands/write.js')).registerWrite,
  },
  {
    name: 'notify',
    term: 'notify [options] <address> <characteristic>',
    summary: 'subscribe and print each notified value (timestamp, value, decoding)',
    load: async () => (await import('./commands/notify.js')).registerNotify,
  },
  {
    name: 'serve',
    term: 'serve [options] <spec>',
    summary: 'run a GATT peripheral described by a YAML or JSON file, advertising until Ctrl-C',
    load: async () => (await import('./commands/serve.js')).registerServe,
  },
  {
    name: 'doctor',
    term: 'doctor [options]',
    summary: 'check the Bluetooth setup and say how to fix what is wrong',
    load: async () => (await import('./commands/doctor.js')).registerDoctor,
  },
  {
    name: 'completion',
    term: 'completion <shell>',
    summary: 'print a shell completion script (bash or zsh)',
    load: async () => (await import('./commands/completion.js')).registerCompletion,
  },
  {
    name: 'lab',
    term: 'lab',
    summary: 'the virtual Bluetooth lab: a QEMU VM with btvirt controllers and bluetoothd',
    load: async () => (await import('./commands/lab.js')).registerLab,
  },
  {
    name: 'mgmt',
    term: 'mgmt [options] <command> [params...]',
    summary: "the kernel's Bluetooth Management API (needs CAP_NET_ADMIN)",
    load: async () => (await import('./commands/mgmt.js')).registerMgmt,
  },
  {
    name: 'gateway',
    term: 'gateway [options]',
    summary:
      'bridge BLE advertisements to MQTT (BTHome, iBeacon, Eddystone, Home Assistant discovery)',
    load: async () => (await import('./commands/gateway.js')).registerGateway,
  },
  {
    name: 'bgapi-emulator',
    term: 'bgapi-emulator [options]',
    summary:
      'emulate a BLED112 BGAPI dongle on a pseudo-terminal, carrying its work out on a BlueZ adapter over D-Bus',
    load: async () => (await import('./commands/bgapi.js')).registerBgapi,
  },
];

export const JSON_HELP = `JSON output (--json):
  one-shot commands print {"result":"ok","value":...} or
  {"result":"error","reason":"...","exitCode":N,"code":"ERR_BLE_..."};
  streams (scan, notify, serve) print one JSON object per line and end with the error object
  if they fail. Errors are also one line on stderr.`;

/** The program without its commands: name, version, help text. */
function programShell(io?: ProgramIo): Command {
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
  return program;
}

/** The whole `blekit` command tree (completion and tests walk it). */
export async function buildProgram(io?: ProgramIo): Promise<Command> {
  const program = programShell(io);
  for (const c of COMMANDS) (await c.load())(program);
  return program;
}

/** The command named by the first operand of argv (`blekit help X` names X), if any. */
function invoked(argv: readonly string[]): string | undefined {
  const operands = argv.slice(2).filter((a) => !a.startsWith('-'));
  const name = operands[0] === 'help' ? operands[1] : operands[0];
  return COMMANDS.find((c) => c.name === name)?.name;
}

/**
 * The tree `main.ts` runs for argv: the invoked command in full, the others as name and summary
 * only, enough for the top-level help and for commander's unknown-command suggestions.
 */
export async function programFor(argv: readonly string[], io?: ProgramIo): Promise<Command> {
  const program = programShell(io);
  const wanted = invoked(argv);
  const terms = new Map<string, string>();
  for (const c of COMMANDS) {
    if (c.name === wanted) (await c.load())(program);
    else {
      program.command(c.name).description(c.summary);
      terms.set(c.name, c.term);
    }
  }
  program.configureHelp({
    subcommandTerm: (cmd) => terms.get(cmd.name()) ?? new Help().subcommandTerm(cmd),
  });
  return program;
}
