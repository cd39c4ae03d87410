import { InvalidArgumentError as CommanderArgError, Option, type Command } from 'commander';
import { createLogUpdate } from 'log-update';
import type { ScanOptions, ScanResult } from '../../central/index.js';
import { normalizeUuid } from '../../core/index.js';
import {
  action,
  addCommonOptions,
  interruptSignal,
  withCentral,
  type CommonOptions,
} from '../common.js';
import { scanRecord } from '../format.js';
import type { Output } from '../output.js';
import { ScanTable } from '../scan-view.js';

interface ScanCliOptions extends CommonOptions {
  name?: string;
  service: string[];
  rssi?: number;
  passive?: boolean;
  duplicates?: boolean;
}

function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

function rssiOption(v: string): number {
  const n = Number(v);
  if (!/^-?\d+$/.test(v.trim()) || n < -127 || n > 20) {
    throw new CommanderArgError('expected dBm as an integer -127..20');
  }
  return n;
}

/** The scan as NDJSON on stdout, with progress on stderr. */
async function scanToJson(
  out: Output,
  o: ScanCliOptions,
  options: ScanOptions,
  stream: (opts: ScanOptions) => AsyncIterable<ScanResult>,
): Promise<number> {
  const seen = new Set<string>();
  out.note(`scanning${o.timeout ? ` for ${o.timeout} s` : ' until interrupted'} (Ctrl-C to stop)`);
  for await (const r of stream(options)) {
    seen.add(r.address);
    out.record(scanRecord(r));
  }
  out.note(`scan done: ${seen.size} device${seen.size === 1 ? '' : 's'}`);
  return seen.size;
}

export function registerScan(program: Command): void {
  const cmd = program
    .command('scan')
    .description('scan for advertising devices: a live table on a terminal, NDJSON otherwise')
    .option('-n, --name <text>', 'only devices whose name contains this text')
    .option(
      '-s, --service <uuid>',
      'only devices advertising this service (repeatable)',
      collect,
      [],
    )
    .option('-r, --rssi <dBm>', 'only reports at least this strong (e.g. -70)', rssiOption)
    .option('--passive', 'passive scan: listen only, ask for no scan responses')
    .addOption(
      new Option('--duplicates', 'with --json: every report, not only new or changed ones'),
    )
    .addHelpText(
      'after',
      `
Output: on a terminal a table that updates in place; with --json or when piped, one JSON object
per report (address, addressType, name, rssi, serviceUuids, serviceData, manufacturerData, ...)
with progress on stderr. --timeout 0 scans until Ctrl-C.

Examples:
  $ blekit scan
  $ blekit scan --timeout 5 --json | jq -r .address
  $ blekit scan --service 180d --rssi -70 --adapter hci1
  $ blekit scan --name Polar --timeout 0`,
    );
  addCommonOptions(cmd, {
    help: 'how long to scan (0: until Ctrl-C)',
    default: 10,
    allowZero: true,
  });
  cmd.action(
    action(async (out, o: ScanCliOptions) => {
      const services = o.service.map((s) => normalizeUuid(s));
      const interrupt = interruptSignal();
      const options: ScanOptions = {
        durationMs: o.timeout ? o.timeout * 1000 : Infinity,
        signal: interrupt.signal,
        active: !o.passive,
        ...(o.name !== undefined ? { nameContains: o.name } : {}),
        ...(services.length ? { serviceUuids: services } : {}),
        ...(o.rssi !== undefined ? { minRssi: o.rssi } : {}),
      };
      const live = !out.json && out.stdout.isTTY === true;
      try {
        await withCentral(o, out, async (central) => {
          if (!live) {
            await scanToJson(out, o, { ...options, duplicates: o.duplicates ?? false }, (x) =>
              central.scanStream(x),
            );
            return;
          }
          await liveTable(out, o, central.adapter?.name ?? '', options, (x) =>
            central.scanStream(x),
          );
        });
      } finally {
        interrupt.dispose();
      }
    }),
  );
}

async function liveTable(
  out: Output,
  o: ScanCliOptions,
  adapter: string,
  options: ScanOptions,
  stream: (opts: ScanOptions) => AsyncIterable<ScanResult>,
): Promise<void> {
  const table = new ScanTable();
  const log = createLogUpdate(out.stdout as NodeJS.WriteStream);
  const started = Date.now();
  const status = (done: boolean): string => {
    const secs = Math.floor((Date.now() - started) / 1000);
    const left = o.timeout ? `, ${Math.max(0, Math.ceil(o.timeout - secs))} s left` : '';
    const state = done ? 'scan done' : `scanning on ${adapter}${left} (Ctrl-C to stop)`;
    return `${state}: ${table.size} device${table.size === 1 ? '' : 's'}, ${secs} s`;
  };
  const draw = (done = false): void => {
    log(`${table.render(out.stdout.columns)}\n${status(done)}`);
  };
  // Redraw at most every 100 ms, and once a second for the clock.
  let dirty = false;
  const timer = setInterval(() => {
    draw();
    dirty = false;
  }, 1000);
  const flush = setInterval(() => {
    if (dirty) {
      draw();
      dirty = false;
    }
  }, 100);
  draw();
  try {
    for await (const r of stream({ ...options, duplicates: true })) {
      table.update(r);
      dirty = true;
    }
  } finally {
    clearInterval(timer);
    clearInterval(flush);
    draw(true);
    log.done();
  }
}
