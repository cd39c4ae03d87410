import { InvalidArgumentError as CommanderArgError, type Command } from 'commander';
import { isAdapterIndex, MAX_ADAPTER_INDEX } from '../../core/adapter-name.js';
import { InvalidArgumentError } from '../../core/errors.js';
import { parseCliParams } from '../mgmt-args.js';
import type { FieldSpec } from '../../mgmt/fields.js';
import {
  COMMANDS,
  EVENTS,
  Mgmt,
  NON_CONTROLLER,
  commandSpec,
  encodeCommand,
  type CommandName,
} from '../../mgmt/index.js';
import { toJsonValue } from '../mgmt-json.js';

// Commander's own error type, so a bad value exits 2 (bad input) with commander's message.
function intOption(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n)) {
    throw new CommanderArgError('expected a non-negative integer');
  }
  return n;
}

function indexOption(v: string): number {
  const n = /^\d+$/.test(v.trim()) ? Number(v) : NaN;
  if (!isAdapterIndex(n)) {
    throw new CommanderArgError(
      `expected a controller index 0..${MAX_ADAPTER_INDEX} (omit --index for non-controller commands)`,
    );
  }
  return n;
}

function describeFields(fields: readonly FieldSpec[]): string {
  return fields
    .filter((f) => f.type !== 'len' && f.type !== 'count')
    .map((f) => {
      const t =
        f.type === 'list'
          ? `[${describeFields(f.item)}]`
          : f.type === 'struct'
            ? `{${describeFields(f.fields)}}`
            : f.type === 'flags'
              ? `flags:${f.set}`
              : f.type;
      return `${f.name}${f.optional ? '?' : ''}:${t}`;
    })
    .join(' ');
}

function print(v: unknown): void {
  process.stdout.write(JSON.stringify(toJsonValue(v)) + '\n');
}

function listMessages(events: boolean, json: boolean): void {
  // `blekit mgmt list | head` closes the pipe early: that is not an error.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
  const table = events ? EVENTS : COMMANDS;
  for (const [name, s] of Object.entries(table)) {
    const spec = s as { code: number; params: FieldSpec[]; reply?: FieldSpec[] };
    if (json) {
      print({ name, code: spec.code, params: spec.params, reply: spec.reply });
      continue;
    }
    const code = '0x' + spec.code.toString(16).padStart(4, '0');
    const reply = spec.reply ? `  ->  ${describeFields(spec.reply)}` : '';
    process.stdout.write(`${code}  ${name}  ${describeFields(spec.params)}${reply}\n`);
  }
}

async function monitor(index: number | undefined): Promise<void> {
  const mgmt = await Mgmt.open();
  const ac = new AbortController();
  const stop = (): void => ac.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  // stdout stays pure NDJSON; this tells people (and scripts) the socket is listening.
  process.stderr.write('blekit mgmt monitor: listening (Ctrl-C stops)\n');
  try {
    for await (const ev of mgmt.events('*', { signal: ac.signal, index })) print(ev);
  } catch (e) {
    if (!ac.signal.aborted) throw e;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    mgmt.close();
  }
}

async function run(
  name: string,
  tokens: string[],
  o: { index?: number; timeout?: number },
): Promise<void> {
  const spec = commandSpec(name);
  const params = parseCliParams(name, tokens);
  if (o.index === undefined && spec.index === 'controller')
    throw new InvalidArgumentError(`${name} needs --index <controller>`);
  const index = o.index ?? NON_CONTROLLER;
  // Encoding first rejects bad parameters before the socket is opened.
  encodeCommand(name as CommandName, index, params as never);
  const mgmt = await Mgmt.open();
  try {
    const reply = await mgmt.send(name as CommandName, index, params as never, {
      timeoutMs: o.timeout,
    });
    print(reply);
  } finally {
    mgmt.close();
  }
}

export function registerMgmt(program: Command): void {
  program
    .command('mgmt')
    .description("the kernel's Bluetooth Management API (needs CAP_NET_ADMIN)")
    .argument('<command>', 'a command name (see "blekit mgmt list"), "list" or "monitor"')
    .argument('[params...]', 'parameters as --name value pairs and/or one JSON object')
    .option(
      '-i, --index <n>',
      'controller index (default: none, for non-controller commands)',
      indexOption,
    )
    .option('-t, --timeout <ms>', 'reply time limit in milliseconds', intOption)
    .option('--events', 'with "list": list events instead of commands')
    .option('--json', 'with "list": one JSON object per line with the full field specs')
    .allowUnknownOption()
    .helpOption('-h, --help', 'show help')
    .addHelpText(
      'after',
      `
Replies print as one JSON object; bytes as hex. Values: booleans as true/false/on/off,
numbers in decimal or 0x hex, flags as comma-separated names, bytes as hex, lists and
structures as JSON.

Examples:
  $ blekit mgmt ReadManagementVersionInformation
  $ blekit mgmt ReadControllerInformation --index 0
  $ blekit mgmt SetPowered --index 1 --powered on
  $ blekit mgmt StartDiscovery --index 0 --address-type le-public,le-random
  $ blekit mgmt AddAdvertising --index 1 '{"instance":1,"flags":["connectable"],"duration":0,"timeout":0,"advData":"020106","scanRsp":""}'
  $ blekit mgmt monitor            (NDJSON events until Ctrl-C)
  $ blekit mgmt list [--events] [--json]`,
    )
    .action(
      async (
        name: string,
        params: string[],
        o: { index?: number; timeout?: number; events?: boolean; json?: boolean },
        cmd: Command,
      ) => {
        // Unknown options (the command's own --name value pairs) land in cmd.args after the name.
        const tokens = cmd.args.slice(1);
        void params;
        if (name === 'list') return listMessages(o.events === true, o.json === true);
        if (name === 'monitor') return monitor(o.index);
        return run(name, tokens, o);
      },
    );
}
