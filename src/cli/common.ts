import { InvalidArgumentError as CommanderArgError, Option, type Command } from 'commander';
import { Central, type Device } from '../central/index.js';
import {
  AbortError,
  InvalidArgumentError,
  isAddressType,
  normalizeAddress,
  withTimeout,
  type AddressType,
} from '../core/index.js';
import { BACKEND_NAMES, loadBackend } from './backends.js';
import { ExitCode } from './exit-codes.js';
import { Output, programIo } from './output.js';
import { isAdapterName, MAX_ADAPTER_INDEX } from '../core/adapter-name.js';

/** The flags every Bluetooth command takes. */
export interface CommonOptions {
  adapter?: string;
  backend: string;
  /** Seconds. */
  timeout?: number;
  debug?: boolean;
  json?: boolean;
  /** BGAPI serial port. */
  port?: string;
}

export interface ConnectOptions extends CommonOptions {
  addressType?: AddressType;
}

/** Option parser for a number of seconds (fractions allowed); `zero` allows 0. */
export function seconds(zero: boolean) {
  return (v: string): number => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n < 0 || (!zero && n === 0) || n > 2_000_000) {
      throw new CommanderArgError(`expected a number of seconds${zero ? ' >= 0' : ' > 0'}`);
    }
    return n;
  };
}

export function positiveInt(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n <= 0) {
    throw new CommanderArgError('expected a positive integer');
  }
  return n;
}

/** Option parser for --adapter: hciN (N 0..65534, the 16-bit controller index) or an address. */
export function adapterName(v: string): string {
  if (isAdapterName(v) || /^[0-9A-F]{2}(:[0-9A-F]{2}){5}$/i.test(v)) return v;
  throw new CommanderArgError(`expected hci0..hci${MAX_ADAPTER_INDEX} or the adapter address`);
}

/** Adds --adapter, --backend, --port, --timeout, --json and --debug to a command. */
export function addCommonOptions(
  cmd: Command,
  timeout: { help: string; default?: number; allowZero?: boolean },
): Command {
  const t = new Option('-t, --timeout <seconds>', timeout.help).argParser(
    seconds(timeout.allowZero ?? false),
  );
  if (timeout.default !== undefined) t.default(timeout.default);
  return cmd
    .option(
      '-a, --adapter <hciN>',
      'adapter to use (name or address; default: the first)',
      adapterName,
    )
    .addOption(
      new Option('-b, --backend <name>', 'central backend').choices(BACKEND_NAMES).default('dbus'),
    )
    .option('--port <path>', 'serial port of the BGAPI dongle (bgapi backend)')
    .addOption(t)
    .option('--json', 'machine-readable output (see "JSON output" in blekit --help)')
    .option('--debug', 'stack traces and the library trace of every area on stderr');
}

/** Adds --address-type for commands that connect. */
export function addConnectOptions(cmd: Command): Command {
  return cmd.addOption(
    new Option('--address-type <type>', 'the peer address type, when BlueZ has not seen it yet')
      .choices(['public', 'random'])
      .argParser((v: string) => {
        if (!isAddressType(v)) throw new CommanderArgError('expected public or random');
        return v;
      }),
  );
}

/** Aborted on the first Ctrl-C / SIGTERM; a second one exits at once. */
export function interruptSignal(): { signal: AbortSignal; dispose(): void } {
  const ac = new AbortController();
  const on = (): void => {
    if (ac.signal.aborted) process.exit(ExitCode.Interrupted);
    ac.abort(new AbortError('interrupted'));
  };
  process.on('SIGINT', on);
  process.on('SIGTERM', on);
  return {
    signal: ac.signal,
    dispose: () => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
    },
  };
}

/**
 * Wraps a command's action: builds its Output from the options, maps any error to its exit
 * code and one line on stderr. Commander passes (...arguments, options, command).
 */
export function action<A extends unknown[]>(
  fn: (out: Output, ...args: A) => Promise<void>,
): (...args: unknown[]) => Promise<void> {
  return async (...raw: unknown[]) => {
    const cmd = raw[raw.length - 1] as Command;
    const opts = cmd.opts<{ json?: boolean; debug?: boolean }>();
    const out = new Output({ json: opts.json, debug: opts.debug, ...programIo(cmd) });
    const untrace = opts.debug ? out.traceTo() : undefined;
    try {
      await fn(out, ...(raw.slice(0, -1) as A));
    } catch (e) {
      process.exitCode = out.fail(e);
    } finally {
      untrace?.();
    }
  };
}

/** Starts a Central on the chosen backend and adapter, runs `fn`, always stops it. */
export async function withCentral<T>(
  o: CommonOptions,
  out: Output,
  fn: (central: Central) => Promise<T>,
  deadline = Infinity,
): Promise<T> {
  const factory = await loadBackend(o.backend, { port: o.port });
  const central = new Central({ backend: factory(), adapter: o.adapter });
  out.debugLog(`backend ${o.backend}, adapter ${o.adapter ?? '(first)'}`);
  try {
    const info = await withTimeout(central.start(), remaining(deadline), 'starting the adapter');
    out.debugLog(`adapter ${info.name} ${info.address} powered=${info.powered}`);
    return await fn(central);
  } finally {
    await central.stop().catch((e: unknown) => out.debugLog(`stop: ${String(e)}`));
  }
}

/** Milliseconds left until a deadline (Infinity stays Infinity). */
export function remaining(deadline: number): number {
  return deadline === Infinity ? Infinity : Math.max(0, deadline - Date.now());
}

/**
 * Validates the address (before any I/O), connects within --timeout, discovers, runs `fn`
 * with the deadline, then disconnects.
 */
export async function withDevice<T>(
  address: string,
  o: ConnectOptions,
  out: Output,
  signal: AbortSignal,
  fn: (device: Device, deadline: number) => Promise<T>,
): Promise<T> {
  const addr = normalizeAddress(address);
  if (o.timeout !== undefined && !(o.timeout > 0)) {
    throw new InvalidArgumentError('timeout must be > 0 seconds');
  }
  const deadline = Date.now() + (o.timeout ?? 30) * 1000;
  return withCentral(
    o,
    out,
    async (central) => {
      out.debugLog(`connecting to ${addr}`);
      const device = await central.connect(addr, {
        timeoutMs: remaining(deadline),
        signal,
        ...(o.addressType ? { addressType: o.addressType } : {}),
      });
      try {
        await device.discover();
        return await fn(device, deadline);
      } finally {
        await device.disconnect().catch((e: unknown) => out.debugLog(`disconnect: ${String(e)}`));
      }
    },
    deadline,
  );
}
