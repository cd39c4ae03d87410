import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { formatHandle, toHex, withTimeout } from '../../core/index.js';
import { Peripheral, type LocalCharacteristic, type LocalService } from '../../peripheral/index.js';
import { action, adapterName, interruptSignal, seconds } from '../common.js';
import type { Output } from '../output.js';
import { parseServeSpec, type ServeSpec, type UpdatePlan } from '../serve-spec.js';

interface ServeCliOptions {
  adapter?: string;
  timeout?: number;
  json?: boolean;
  debug?: boolean;
  check?: boolean;
}

function describe(services: LocalService[]): Record<string, unknown>[] {
  return services.map((s) => ({
    uuid: s.uuid,
    handle: s.handle,
    characteristics: s.characteristics.map((c) => ({
      uuid: c.uuid,
      handle: c.handle,
      flags: c.flags,
      descriptors: c.descriptors.map((d) => ({ uuid: d.uuid, handle: d.handle })),
    })),
  }));
}

/** Changes a characteristic's value every `everyMs`, notifying subscribers when asked. */
function startUpdates(out: Output, services: LocalService[], plans: UpdatePlan[]): () => void {
  const timers = plans.map((plan) => {
    const ch = services[plan.serviceIndex]?.characteristics[plan.characteristicIndex] as
      LocalCharacteristic | undefined;
    if (!ch) throw new Error('internal: update plan without its characteristic');
    let n = 0;
    let busy = false;
    return setInterval(() => {
      // Skip a tick rather than queue values behind a slow bus (no unbounded backlog).
      if (busy) return;
      const value = plan.valueAt(++n);
      if (!plan.notify || !ch.isNotifying) {
        ch.value = value;
        return;
      }
      busy = true;
      ch.notify(value)
        .catch((e: unknown) => out.debugLog(`notify ${ch.uuid}: ${String(e)}`))
        .finally(() => (busy = false));
    }, plan.everyMs);
  });
  return () => timers.forEach((t) => clearInterval(t));
}

function event(out: Output, name: string, fields: Record<string, unknown>, text: string): void {
  if (out.json) out.record({ event: name, time: new Date().toISOString(), ...fields });
  else out.line(text);
}

async function serve(out: Output, spec: ServeSpec, o: ServeCliOptions): Promise<void> {
  const interrupt = interruptSignal();
  const p = await Peripheral.open({
    adapter: o.adapter ?? spec.adapter,
    handleSignals: false,
    readvertiseOnDisconnect: true,
  });
  let stopUpdates = (): void => undefined;
  try {
    const failed = new Promise<never>((_, reject) => p.on('error', reject));
    failed.catch(() => undefined);
    p.on('connect', (d) => event(out, 'connect', { device: d.address }, `connected: ${d.address}`));
    p.on('disconnect', (d) =>
      event(out, 'disconnect', { device: d.address }, `disconnected: ${d.address}`),
    );
    p.on('subscribe', (ev) =>
      event(
        out,
        'subscribe',
        { uuid: ev.characteristic.uuid, via: ev.via },
        `subscribed: ${ev.characteristic.uuid}`,
      ),
    );
    p.on('unsubscribe', (ev) =>
      event(
        out,
        'unsubscribe',
        { uuid: ev.characteristic.uuid },
        `unsubscribed: ${ev.characteristic.uuid}`,
      ),
    );
    p.on('handlerError', (e, where) => out.note(`warning: ${where}: ${String(e)}`));
    const services = await p.addServices(spec.services);
    for (const s of services) {
      for (const c of s.characteristics) {
        c.on('write', (req) =>
          event(
            out,
            'write',
            { uuid: c.uuid, hex: toHex(req.value) },
            `write ${c.uuid}: ${toHex(req.value)}`,
          ),
        );
      }
    }
    stopUpdates = startUpdates(out, services, spec.updates);
    await p.advertise(spec.advertisement);
    event(
      out,
      'ready',
      {
        adapter: p.adapter.name,
        address: p.adapter.address,
        name: spec.advertisement.localName ?? null,
        services: describe(services),
      },
      [
        `serving on ${p.adapter.name} (${p.adapter.address})` +
          (spec.advertisement.localName ? ` as "${spec.advertisement.localName}"` : '') +
          '; Ctrl-C to stop',
        ...services.flatMap((s) => [
          `  ${formatHandle(s.handle || 1)} service ${s.uuid}`,
          ...s.characteristics.map(
            (c) => `  ${formatHandle(c.handle || 1)}   ${c.uuid} [${c.flags.join(', ')}]`,
          ),
        ]),
      ].join('\n'),
    );
    const ms = o.timeout === undefined ? Infinity : o.timeout * 1000;
    const never = new Promise<never>(() => undefined);
    try {
      await withTimeout(Promise.race([never, failed]), ms, 'serve', interrupt.signal);
    } catch (e) {
      const name = (e as Error).name;
      if (name !== 'AbortError' && name !== 'TimeoutError') throw e;
    }
  } finally {
    stopUpdates();
    interrupt.dispose();
    await p.close().catch((e: unknown) => out.debugLog(`close: ${String(e)}`));
    event(out, 'stopped', {}, 'stopped');
  }
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run a GATT peripheral described by a YAML or JSON file, advertising until Ctrl-C')
    .argument('<spec>', 'the spec file (.yaml, .yml or .json)')
    .option(
      '-a, --adapter <hciN>',
      "adapter to serve on (default: the spec's, else the first)",
      adapterName,
    )
    .option(
      '-t, --timeout <seconds>',
      'stop after this long (default: until Ctrl-C)',
      seconds(false),
    )
    .option('--check', 'only validate the spec and print what would be served')
    .option('--json', 'events as NDJSON: ready, connect, disconnect, subscribe, write, stopped')
    .option('--debug', 'stack traces and details on stderr')
    .addHelpText(
      'after',
      `
Spec (YAML; the same structure in JSON works too):
  name: blekit-hr                  # advertised local name
  advertise:                       # optional; default: the name and every primary service
    services: [180d]
    manufacturerData: { "0xffff": { hex: "0102" } }
  services:
    - uuid: 180d
      characteristics:
        - uuid: 2a37
          flags: [notify]
          update: { every: 1, counter: { start: 60, min: 60, max: 180, prefix: { hex: "00" } } }
        - uuid: 2a38
          flags: [read]
          value: { uint8: 1 }
          descriptors:
            - { uuid: 2901, value: "Body Sensor Location" }

Values: "text" (UTF-8), {hex: "0102"}, {base64: ...}, {uint8|uint16|uint32|int8|int16|int32: n}
(little-endian), or a list of those joined. update: every N seconds, cycle through values: [...]
or count with counter: {format, start, step, min, max, prefix, suffix}; subscribers are notified
(notify: false only changes what reads return). Flags are BlueZ's (read, write, notify,
indicate, write-without-response, encrypt-read, ...). Errors name the file, line and column.

Examples:
  $ blekit serve heart-rate.yaml --adapter hci1
  $ blekit serve sensor.json --json
  $ blekit serve heart-rate.yaml --check`,
    )
    .action(
      action(async (out, file: string, o: ServeCliOptions) => {
        const spec = parseServeSpec(await readFile(file, 'utf8'), file);
        if (o.check) {
          out.ok(
            {
              services: spec.services.length,
              updates: spec.updates.length,
              advertisement: spec.advertisement,
            },
            () =>
              `${file}: ok, ${spec.services.length} service${spec.services.length === 1 ? '' : 's'}, ${spec.updates.length} changing value${spec.updates.length === 1 ? '' : 's'}`,
          );
          return;
        }
        await serve(out, spec, o);
      }),
    );
}
