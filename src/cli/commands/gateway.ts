import { readFileSync } from 'node:fs';
import { InvalidArgumentError as CommanderArgError, Option, type Command } from 'commander';
import { isAddress, isUuid, parseHex } from '../../core/index.js';
import { Gateway, type GatewayOptions } from '../../gateway/index.js';
import {
  action,
  addCommonOptions,
  interruptSignal,
  positiveInt,
  withCentral,
  type CommonOptions,
} from '../common.js';
import type { Output } from '../output.js';

export const GATEWAY_SUMMARY =
  'bridge BLE advertisements to MQTT (BTHome, iBeacon, Eddystone, Home Assistant discovery)';

interface GatewayCliOptions extends CommonOptions {
  mqtt?: string;
  listen?: { host: string; port: number };
  id?: string;
  prefix: string;
  discoveryPrefix: string;
  discovery: boolean;
  scan: 'auto' | 'passive' | 'active';
  interval: number;
  presenceTimeout: number;
  bindKey: [string, string][];
  allow: string[];
  fleet?: boolean;
  buffer: number;
  username?: string;
  ca?: string;
  cert?: string;
  key?: string;
}

function bindKey(v: string, prev: [string, string][]): [string, string][] {
  const [addr, key] = v.split('=');
  if (!addr || !key || !isAddress(addr))
    throw new CommanderArgError('expected ADDRESS=32 hex digits');
  let bytes: Buffer;
  try {
    bytes = parseHex(key);
  } catch {
    throw new CommanderArgError('expected ADDRESS=32 hex digits');
  }
  if (bytes.length !== 16) throw new CommanderArgError('a bind key is 16 bytes (32 hex digits)');
  return [...prev, [addr, key]];
}

function allowEntry(v: string, prev: string[]): string[] {
  if (!isAddress(v) && !isUuid(v)) {
    throw new CommanderArgError('expected a device address or a service UUID');
  }
  return [...prev, v];
}

function nonNegativeInt(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n > 1_000_000) {
    throw new CommanderArgError('expected an integer 0..1000000');
  }
  return n;
}

function listenOption(v: string): { host: string; port: number } {
  const m = /^(?:(.+):)?(\d{1,5})$/.exec(v);
  const port = Number(m?.[2]);
  if (!m || port > 65535) throw new CommanderArgError('expected [HOST:]PORT');
  return { host: m[1] ?? '127.0.0.1', port };
}

function mqttOptions(o: GatewayCliOptions): GatewayOptions['mqttOptions'] {
  const opts: NonNullable<GatewayOptions['mqttOptions']> = {};
  if (o.username !== undefined) opts.username = o.username;
  // From the environment, not argv: other users can read a process's arguments.
  const password = process.env.BLEKIT_MQTT_PASSWORD;
  if (password !== undefined) opts.password = password;
  if (o.ca !== undefined) opts.ca = readFileSync(o.ca);
  if (o.cert !== undefined) opts.cert = readFileSync(o.cert);
  if (o.key !== undefined) opts.key = readFileSync(o.key);
  return opts;
}

function event(out: Output, name: string, fields: Record<string, unknown>, text: string): void {
  if (out.json) out.record({ event: name, time: new Date().toISOString(), ...fields });
  else out.note(text);
}

export function registerGateway(program: Command): void {
  const cmd = program
    .command('gateway')
    .description(GATEWAY_SUMMARY)
    .option('--mqtt <url>', 'broker URL (mqtt://, mqtts://, ws://); default: an embedded broker')
    .option(
      '--listen <[host:]port>',
      'where the embedded broker listens (default 127.0.0.1:1883)',
      listenOption,
    )
    .option('--id <id>', 'gateway id in topics (default: <hostname>-<adapter>)')
    .option('--prefix <topic>', 'topic prefix', 'blekit')
    .option('--discovery-prefix <topic>', 'Home Assistant discovery prefix', 'homeassistant')
    .option('--no-discovery', 'no Home Assistant discovery')
    .addOption(
      new Option('--scan <mode>', 'passive listens only; auto: passive where the backend can')
        .choices(['auto', 'passive', 'active'])
        .default('auto'),
    )
    .option(
      '--interval <ms>',
      'at most one message per device and topic per this many ms',
      positiveInt,
      1000,
    )
    .option(
      '--presence-timeout <s>',
      'seconds unseen before a device is published absent',
      positiveInt,
      60,
    )
    .option('--bind-key <address=key>', 'BTHome bind key of a device (repeatable)', bindKey, [])
    .option(
      '--allow <address|uuid>',
      'commands may connect to and write to this device, or devices advertising this service (repeatable; default: none)',
      allowEntry,
      [],
    )
    .option(
      '--buffer <n>',
      'messages kept while the broker is away; the oldest beyond are dropped and counted',
      nonNegativeInt,
      1000,
    )
    .option(
      '--fleet',
      'join the fleet on this broker: share sightings; connections move to the next gateway when one dies',
    )
    .option('--username <name>', 'MQTT user name (the password comes from BLEKIT_MQTT_PASSWORD)')
    .option('--ca <file>', 'CA certificate (PEM) for mqtts://')
    .option('--cert <file>', 'client certificate (PEM)')
    .option('--key <file>', 'client key (PEM)')
    .addHelpText(
      'after',
      `
Publishes under <prefix>/ (see the README's "Gateway" section):
  gateways/<id>/status               retained {"state":"online"|"offline"}, the last will
  devices/<ADDRESS>/presence         retained {"present":true|false,...}
  devices/<ADDRESS>/advertisement    the advertisement as the scan saw it
  devices/<ADDRESS>/bthome|ibeacon|eddystone/<frame>|service-data/<uuid>   decoded values
and Home Assistant discovery under <discovery-prefix>/. QoS 1. Runs until Ctrl-C.
Commands (connect, discover, read, write, subscribe, unsubscribe, disconnect) arrive on
gateways/<id>/command as MQTT 5 requests (response topic + correlation data); connecting and
writing are refused unless --allow names the device or one of its advertised services.

Examples:
  $ blekit gateway                                   # embedded broker on 127.0.0.1:1883
  $ blekit gateway --mqtt mqtt://broker.local --adapter hci1
  $ mosquitto_sub -v -t 'blekit/#'
  $ blekit gateway --mqtt mqtt://broker.local --allow 00:AA:01:01:00:01
  $ mosquitto_rr -V mqttv5 -t blekit/gateways/<id>/command -e replies/me \
      -m '{"command":"connect","address":"00:AA:01:01:00:01"}'`,
    );
  addCommonOptions(cmd, { help: 'how long to run (0: until Ctrl-C)', default: 0, allowZero: true });
  cmd.action(
    action(async (out, o: GatewayCliOptions) => {
      const interrupt = interruptSignal();
      try {
        await withCentral(o, out, async (central) => {
          const gw = new Gateway({
            central,
            ...(o.mqtt !== undefined ? { mqtt: o.mqtt } : {}),
            ...(o.listen ? { embedded: o.listen } : {}),
            ...(o.id !== undefined ? { id: o.id } : {}),
            prefix: o.prefix,
            discoveryPrefix: o.discovery ? o.discoveryPrefix : false,
            scan: o.scan,
            minIntervalMs: o.interval,
            presenceTimeoutMs: o.presenceTimeout * 1000,
            bindKeys: Object.fromEntries(o.bindKey),
            allow: o.allow,
            bufferSize: o.buffer,
            ...(o.fleet ? { fleet: true } : {}),
            mqttOptions: mqttOptions(o),
          });
          gw.on('error', (e: Error) => out.debugLog(`mqtt: ${e.message}`));
          gw.on('reconnect', (r: { delivered: number; dropped: number }) =>
            event(
              out,
              'reconnect',
              r,
              `broker back: ${r.delivered} buffered messages delivered, ${r.dropped} dropped so far`,
            ),
          );
          gw.on('takeover', (e: { address: string; from?: string; ms: number }) =>
            event(
              out,
              'takeover',
              e,
              `took ${e.address} over from ${e.from ?? 'no owner'} after ${e.ms} ms`,
            ),
          );
          await gw.start();
          event(
            out,
            'ready',
            {
              gateway: gw.topics.gatewayId,
              url: gw.url,
              adapter: central.adapter?.name ?? null,
            },
            `gateway ${gw.topics.gatewayId} on ${central.adapter?.name ?? '?'} publishing to ${gw.url} (Ctrl-C to stop)`,
          );
          const stopped = new Promise<void>((resolve) => {
            interrupt.signal.addEventListener('abort', () => resolve());
            if (o.timeout) setTimeout(resolve, o.timeout * 1000).unref();
          });
          try {
            await Promise.race([stopped, gw.done]);
          } finally {
            await gw.stop();
            const s = gw.stats;
            event(
              out,
              'stopped',
              { ...s },
              `gateway stopped: ${s.advertisements} advertisements, ${s.published} messages, ${s.devices} devices`,
            );
          }
        });
      } finally {
        interrupt.dispose();
      }
    }),
  );
}
