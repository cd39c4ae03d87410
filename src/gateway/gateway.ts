import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import type { IPublishPacket, MqttClient } from 'mqtt';
import type { ScanFilter, ScanOptions, ScanResult } from '../central/index.js';
import { BleError, InvalidArgumentError, log, normalizeAddress } from '../core/index.js';
import { scanRecord } from '../cli/format.js';
import { errorRecord, jsonReplacer } from '../cli/output.js';
import { AllowList } from './allow-list.js';
import {
  parseCommand,
  replyFieldsOf,
  validResponseTopic,
  type GatewayCommand,
} from './commands.js';
import { DeviceCommands, type ConnectSource } from './device-commands.js';
import { Fleet } from './fleet.js';
import { startEmbeddedBroker, type EmbeddedBroker } from './broker.js';
import { bthomeValues, decodeAdvertisement, type DecodedAdvertisement } from './decode.js';
import { discoveryFor } from './home-assistant.js';
import { Outbox, type Pending } from './outbox.js';
import { RateLimiter } from './rate-limit.js';
import { Topics, validTopicPart } from './topics.js';

const trace = log('gateway');

/** What the gateway scans (and, for commands, connects) with: a started Central. */
export interface ScanSource extends Partial<ConnectSource> {
  /** Advertising reports until the iteration stops (a started Central's scanStream). */
  scanStream(options: ScanOptions): AsyncIterable<ScanResult>;
  /** Connects for device commands; a source without it refuses them with NotSupportedError. */
  connect?: ConnectSource['connect'];
  readonly adapter?: { name: string } | undefined;
}

/**
 * What the gateway passes to the MQTT client beyond the URL. Declared here rather than taken from
 * mqtt's own types: mqtt ships inside blekit's bundle, so a consumer's compiler cannot see them.
 */
export interface MqttClientOptions {
  username?: string;
  password?: string | Buffer;
  /** PEM certificate authorities to trust, client certificate and key (mqtts://). */
  ca?: string | Buffer | string[] | Buffer[];
  cert?: string | Buffer;
  key?: string | Buffer;
  /** Default true: the broker's certificate must chain to a trusted authority. */
  rejectUnauthorized?: boolean;
  /** TLS server name, when the URL's host is not the certificate's name. */
  servername?: string;
  /** Seconds between pings; default 60. */
  keepalive?: number;
  /** 5 (MQTT 5, the default with a URL) or 4 (3.1.1, for brokers without 5; see README). */
  protocolVersion?: 4 | 5;
}

/** How a `Gateway` scans, where it publishes, and how often. */
export interface GatewayOptions {
  central: ScanSource;
  /** Broker URL (mqtt://, mqtts://, ws://). Absent: an embedded broker on `embedded`. */
  mqtt?: string;
  /** Credentials and TLS material for the broker connection. */
  mqttOptions?: MqttClientOptions;
  /** Where the embedded broker listens; default 127.0.0.1:1883 (port 0: any free port). */
  embedded?: { host?: string; port?: number };
  /** This gateway's id in topics; default `<hostname>-<adapter>`. */
  id?: string;
  /** Topic prefix; default 'blekit'. */
  prefix?: string;
  /** Home Assistant discovery prefix; default 'homeassistant'; false turns discovery off. */
  discoveryPrefix?: string | false;
  /**
   * 'passive' listens only; 'active' also asks for scan responses; 'auto' (default) is passive
   * where the backend can (BlueZ's D-Bus API scans actively only) and active otherwise.
   */
  scan?: 'auto' | 'passive' | 'active';
  /** At most one publication per device and topic per this many ms; default 1000. */
  minIntervalMs?: number;
  /** A device unseen this long is published absent; default 60 000. */
  presenceTimeoutMs?: number;
  /** BTHome bind keys by device address (16 bytes or 32 hex digits). */
  bindKeys?: Record<string, Uint8Array | string>;
  /** Only devices passing this filter are published. */
  filter?: ScanFilter;
  /**
   * Devices commands may connect to and write to: addresses and/or service UUIDs. Empty or
   * absent: every connect and write command is refused (README "Gateway commands").
   */
  allow?: string[];
  /**
   * Messages kept while the broker is unreachable, delivered on reconnect; beyond this the
   * oldest are dropped and counted in the status (`dropped`). Default 1000.
   */
  bufferSize?: number;
  /**
   * Join a fleet: gateways on one broker share what they hear, and each device's connection is
   * held by one of them, taken over by the next best when its owner dies (README "Fleets").
   * `recentMs`: how old a sighting may be to count in an election (default 30 000).
   */
  fleet?: boolean | { recentMs?: number };
}

interface DeviceState {
  lastSeen: number;
  name?: string;
  announced: Set<string>;
  /** Service UUIDs in its advertisements (what a service allow-list matches). */
  services: Set<string>;
}

/** Counters of a running gateway (`gateway.stats`). */
export interface GatewayStats {
  advertisements: number;
  published: number;
  devices: number;
  /** Publications replaced by a newer one within the rate limit. */
  rateLimited: number;
  publishErrors: number;
  /** Commands received, and how many of them were answered with an error. */
  commands: number;
  commandErrors: number;
  /** Messages waiting for the broker now, and lost to the buffer's bound so far. */
  buffered: number;
  dropped: number;
  /** Times the connection to the broker came back. */
  reconnects: number;
}

/** Reconnection delays double from the first to the last (ms). */
export const RECONNECT_MIN_MS = 1000;
export const RECONNECT_MAX_MS = 30_000;

/**
 * Turns Nagle's algorithm off on the broker connection (TCP and TLS; a WebSocket stream has no
 * such switch). A command's reply follows the PUBACK the gateway has just sent for the command,
 * so with Nagle on every reply waited for the broker's delayed ACK: about 40 ms per request on
 * Linux (bench:gateway, README "Benchmarks").
 */
function noDelay(client: MqttClient): void {
  (client.stream as { setNoDelay?: (on: boolean) => unknown } | undefined)?.setNoDelay?.(true);
}

function check(v: number | undefined, what: string, min: number, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min) {
    throw new InvalidArgumentError(`${what} must be a number >= ${min}`);
  }
  return v;
}

/**
 * A BLE-to-MQTT gateway: scans continuously and publishes presence, advertisements and the
 * open formats it decodes (BTHome, iBeacon, Eddystone, SIG service data), with Home Assistant
 * discovery and a retained online/offline status backed by the last will. Events: 'publish'
 * (topic, payload), 'error' (Error), 'reconnect' ({delivered, dropped}), and in a fleet
 * 'takeover' ({address, from?, ms}: this gateway took a device over from `from`, `ms` after it
 * lost its owner). See the README's "Gateway" section for the topics.
 */
export class Gateway extends EventEmitter {
  /** The topic layout this gateway publishes under. */
  readonly topics: Topics;
  /** The broker URL in use (the embedded one's once started). */
  url?: string;
  private readonly o: GatewayOptions;
  private readonly limiter: RateLimiter;
  private readonly presenceTimeoutMs: number;
  private readonly discoveryPrefix: string | false;
  private readonly bindKeys = new Map<string, Uint8Array | string>();
  private readonly devices = new Map<string, DeviceState>();
  private readonly stats_ = {
    advertisements: 0,
    published: 0,
    publishErrors: 0,
    commands: 0,
    commandErrors: 0,
    reconnects: 0,
  };
  private readonly outbox: Outbox;
  private readonly commands: DeviceCommands;
  private readonly fleet?: Fleet;
  private client?: MqttClient;
  private broker?: EmbeddedBroker;
  private scan?: AbortController;
  private sweep?: NodeJS.Timeout;
  private loop?: Promise<void>;

  constructor(options: GatewayOptions) {
    super();
    if (typeof options !== 'object' || options === null || !options.central) {
      throw new InvalidArgumentError('Gateway needs options with a central');
    }
    this.o = options;
    const prefix = options.prefix ?? 'blekit';
    if (!validTopicPart(prefix, true))
      throw new InvalidArgumentError(`invalid topic prefix ${JSON.stringify(prefix)}`);
    const id = options.id ?? `${hostname()}-${options.central.adapter?.name ?? 'ble'}`;
    if (!validTopicPart(id, false))
      throw new InvalidArgumentError(`invalid gateway id ${JSON.stringify(id)}`);
    this.discoveryPrefix = options.discoveryPrefix ?? 'homeassistant';
    if (this.discoveryPrefix !== false && !validTopicPart(this.discoveryPrefix, true)) {
      throw new InvalidArgumentError(
        `invalid discovery prefix ${JSON.stringify(this.discoveryPrefix)}`,
      );
    }
    this.topics = new Topics(prefix, id);
    this.limiter = new RateLimiter(check(options.minIntervalMs, 'minIntervalMs', 0, 1000));
    this.outbox = new Outbox(check(options.bufferSize, 'bufferSize', 0, 1000));
    this.presenceTimeoutMs = check(options.presenceTimeoutMs, 'presenceTimeoutMs', 1000, 60_000);
    this.commands = new DeviceCommands(
      options.central.connect ? (options.central as ConnectSource) : undefined,
      new AllowList(options.allow ?? []),
      this.topics,
      {
        publish: (topic, payload, retain) => this.publish(topic, payload, retain),
        advertised: (address) => this.devices.get(address)?.services ?? [],
        lost: (address) => this.fleet?.lost(address),
      },
    );
    if (options.fleet) {
      const recentMs =
        typeof options.fleet === 'object'
          ? check(options.fleet.recentMs, 'fleet.recentMs', 1000, 30_000)
          : undefined;
      this.fleet = new Fleet(
        {
          topics: this.topics,
          publish: (topic, payload, retain) => this.publish(topic, payload, retain),
          run: (cmd) => this.commands.run(cmd),
          answer: (payload, packet, serve) => this.answer(payload, packet, serve),
          tookOver: (e) => this.emit('takeover', e),
        },
        recentMs,
      );
    }
    for (const [addr, key] of Object.entries(options.bindKeys ?? {})) {
      this.bindKeys.set(normalizeAddress(addr), key);
    }
    if (options.mqtt !== undefined && !/^(mqtts?|wss?|tcp|ssl):\/\//.test(options.mqtt)) {
      throw new InvalidArgumentError(`MQTT URL must start with mqtt://, mqtts://, ws:// or wss://`);
    }
  }

  /** What the gateway has seen and published so far. */
  get stats(): GatewayStats {
    return {
      ...this.stats_,
      devices: this.devices.size,
      rateLimited: this.limiter.dropped,
      buffered: this.outbox.size,
      dropped: this.outbox.dropped,
    };
  }

  private statusPayload(state: 'online' | 'offline'): string {
    return JSON.stringify({
      state,
      gateway: this.topics.gatewayId,
      adapter: this.o.central.adapter?.name ?? null,
      timestamp: new Date().toISOString(),
      // What the broker did not get: a subscriber can tell a gap it may see from a silent loss.
      buffered: this.outbox.size,
      dropped: this.outbox.dropped,
      reconnects: this.stats_.reconnects,
    });
  }

  /** Connects to the broker (starting the embedded one if no URL), then scans until stop(). */
  async start(): Promise<void> {
    if (this.client) throw new BleError('gateway already started', 'ERR_BLE_BUSY');
    let url = this.o.mqtt;
    if (url === undefined) {
      this.broker = await startEmbeddedBroker(this.o.embedded?.host, this.o.embedded?.port);
      url = this.broker.url;
    }
    this.url = url;
    // mqtt is CommonJS: its module.exports (the `default` of import()) carries every function
    // both from node_modules and from the bundle, where esbuild exposes only `default`.
    const { connectAsync } = (await import('mqtt')).default;
    try {
      this.client = await connectAsync(url, {
        // aedes, the embedded broker, speaks 3.1.1 only.
        protocolVersion: this.broker ? 4 : 5,
        clientId: `blekit-${this.topics.gatewayId}`,
        reconnectPeriod: RECONNECT_MIN_MS,
        connectTimeout: 10_000,
        will: {
          topic: this.topics.status(),
          payload: Buffer.from(this.statusPayload('offline')),
          qos: 1,
          retain: true,
        },
        ...this.o.mqttOptions,
      });
    } catch (e) {
      await this.broker?.close();
      throw new BleError(
        `cannot connect to MQTT broker ${url}: ${(e as Error).message}`,
        'ERR_BLE_GATEWAY',
        { cause: e },
      );
    }
    const client = this.client;
    noDelay(client);
    client.on('error', (e) => this.emit('error', e));
    // mqtt.js waits reconnectPeriod before each attempt: double it per failed attempt.
    client.on('reconnect', () => {
      const next = Math.min(client.options.reconnectPeriod ?? RECONNECT_MIN_MS, RECONNECT_MAX_MS);
      client.options.reconnectPeriod = Math.min(next * 2, RECONNECT_MAX_MS);
    });
    client.on('offline', () => trace.debug('broker unreachable: buffering'));
    client.on('connect', () => this.onReconnect(client));
    await this.client.publishAsync(this.topics.status(), this.statusPayload('online'), {
      qos: 1,
      retain: true,
    });
    this.client.on('message', (topic, payload, packet) => {
      if (topic === this.topics.command()) {
        void this.answer(payload, packet, (cmd) => this.commands.run(cmd));
      } else this.fleet?.onMessage(topic, payload, packet);
    });
    await this.client.subscribeAsync([this.topics.command(), ...(this.fleet?.filters() ?? [])], {
      qos: 1,
    });
    this.scan = new AbortController();
    this.sweep = setInterval(
      () => this.sweepPresence(),
      Math.min(5000, this.presenceTimeoutMs / 4),
    );
    this.sweep.unref();
    this.loop = this.scanLoop(this.scan.signal);
  }

  /** Resolves when scanning ends: after stop(), or rejects when the scan fails. */
  get done(): Promise<void> {
    return this.loop ?? Promise.resolve();
  }

  /** Whether the scan is active (asks for scan responses); known once scanning started. */
  activeScan?: boolean;

  private async scanLoop(signal: AbortSignal): Promise<void> {
    const mode = this.o.scan ?? 'auto';
    try {
      await this.scanWith(mode === 'active', signal);
    } catch (e) {
      if (signal.aborted) return;
      if (
        mode !== 'auto' ||
        !(e instanceof InvalidArgumentError) ||
        this.stats_.advertisements > 0
      ) {
        throw e;
      }
      trace.warn('active-scan', `passive scan refused (${e.message}): scanning actively`);
      try {
        await this.scanWith(true, signal);
      } catch (e2) {
        if (!signal.aborted) throw e2;
      }
    }
  }

  private async scanWith(active: boolean, signal: AbortSignal): Promise<void> {
    this.activeScan = active;
    const stream = this.o.central.scanStream({
      ...this.o.filter,
      durationMs: Infinity,
      signal,
      active,
      duplicates: true,
    });
    for await (const r of stream) this.onReport(r);
  }

  private publish(topic: string, payload: unknown, retain = false): void {
    const client = this.client;
    if (!client) return;
    const text = JSON.stringify(payload);
    this.stats_.published += 1;
    this.emit('publish', topic, payload);
    // Not mqtt.js's own offline queue: it has no bound.
    if (!client.connected) this.outbox.push({ topic, text, retain });
    else this.send(client, { topic, text, retain });
  }

  private send(client: MqttClient, m: Pending): void {
    client.publish(m.topic, m.text, { qos: 1, retain: m.retain }, (err) => {
      if (!err) return;
      this.stats_.publishErrors += 1;
      trace.warn('publish', `publishing to ${m.topic} failed: ${err.message}`);
    });
  }

  /** Back on the broker: status first (with what was dropped), then the buffer in order. */
  private onReconnect(client: MqttClient): void {
    if (client !== this.client) return;
    noDelay(client);
    this.stats_.reconnects += 1;
    client.options.reconnectPeriod = RECONNECT_MIN_MS;
    const pending = this.outbox.take();
    trace.debug(
      `broker back: delivering ${pending.length} buffered, ${this.outbox.dropped} dropped`,
    );
    this.send(client, {
      topic: this.topics.status(),
      text: this.statusPayload('online'),
      retain: true,
    });
    for (const m of pending) this.send(client, m);
    this.emit('reconnect', { delivered: pending.length, dropped: this.outbox.dropped });
  }

  private onReport(r: ScanResult): void {
    this.stats_.advertisements += 1;
    const address = normalizeAddress(r.address);
    let dev = this.devices.get(address);
    const gateway = this.topics.gatewayId;
    if (!dev) {
      dev = { lastSeen: r.timestamp, announced: new Set(), services: new Set() };
      this.devices.set(address, dev);
      this.publish(
        this.topics.presence(address),
        {
          present: true,
          address,
          addressType: r.addressType,
          name: r.name ?? null,
          rssi: r.rssi ?? null,
          gateway,
          timestamp: new Date(r.timestamp).toISOString(),
        },
        true,
      );
    }
    dev.lastSeen = Date.now();
    if (r.name !== undefined) dev.name = r.name;
    // Already normalized by the parser; bounded against a device that rotates UUIDs.
    for (const u of r.advertisement.serviceUuids) if (dev.services.size < 32) dev.services.add(u);
    const fleet = this.fleet;
    if (fleet) this.limiter.offer(`${address} fleet`, () => fleet.heard(address, r.rssi));
    const record = { ...scanRecord(r), address, gateway };
    this.limiter.offer(`${address} advertisement`, () =>
      this.publish(this.topics.advertisement(address), record),
    );
    let decoded: DecodedAdvertisement;
    try {
      decoded = decodeAdvertisement(r, this.bindKeys.get(address));
    } catch (e) {
      // A bad bind key is the user's error: say so once, keep the gateway running.
      trace.warn('decode', `cannot decode ${address}: ${(e as Error).message}`);
      return;
    }
    this.publishDecoded(address, dev, r, decoded);
  }

  private publishDecoded(
    address: string,
    dev: DeviceState,
    r: ScanResult,
    d: DecodedAdvertisement,
  ): void {
    const base = {
      address,
      rssi: r.rssi ?? null,
      gateway: this.topics.gatewayId,
      timestamp: new Date(r.timestamp).toISOString(),
    };
    const offer = (format: string, payload: Record<string, unknown>): void =>
      this.limiter.offer(`${address} ${format}`, () =>
        this.publish(this.topics.decoded(address, format), { ...base, ...payload }),
      );
    if (d.bthome) {
      const p = d.bthome;
      const values = bthomeValues(p);
      offer('bthome', {
        encrypted: p.encrypted,
        triggerBased: p.triggerBased,
        ...(p.counter !== undefined ? { counter: p.counter } : {}),
        ...(p.locked ? { locked: true } : {}),
        values,
        measurements: p.measurements,
      });
      this.announce(address, dev, p.measurements, Object.keys(values));
    }
    if (d.ibeacon) offer('ibeacon', { ...d.ibeacon });
    if (d.eddystone) offer(`eddystone/${d.eddystone.frame}`, { ...d.eddystone });
    for (const [uuid, v] of Object.entries(d.serviceData)) {
      offer(`service-data/${uuid}`, { uuid, format: v.format, value: v.value, text: v.text });
    }
    for (const [format, reason] of Object.entries(d.errors)) {
      trace.warn(`malformed ${format}`, `${address} sent malformed ${format}: ${reason}`);
    }
  }

  /** Home Assistant discovery, once per device and value, retained. */
  private announce(
    address: string,
    dev: DeviceState,
    measurements: NonNullable<DecodedAdvertisement['bthome']>['measurements'],
    keys: string[],
  ): void {
    if (this.discoveryPrefix === false) return;
    measurements.forEach((m, i) => {
      const key = keys[i] as string;
      if (dev.announced.has(key)) return;
      dev.announced.add(key);
      const msg = discoveryFor(
        this.topics,
        this.discoveryPrefix as string,
        address,
        dev.name,
        m,
        key,
      );
      if (msg) this.publish(msg.topic, msg.payload, true);
    });
  }

  private sweepPresence(): void {
    this.fleet?.view.prune(Date.now());
    const cutoff = Date.now() - this.presenceTimeoutMs;
    for (const [address, dev] of this.devices) {
      if (dev.lastSeen >= cutoff) continue;
      this.devices.delete(address);
      this.limiter.forget(`${address} advertisement`);
      this.limiter.forget(`${address} fleet`);
      this.publish(
        this.topics.presence(address),
        {
          present: false,
          address,
          gateway: this.topics.gatewayId,
          lastSeen: new Date(dev.lastSeen).toISOString(),
        },
        true,
      );
    }
  }

  /**
   * One command: validated, run by `serve`, answered on its response topic (MQTT 5 property,
   * else the payload's `responseTopic`) with `{result:'ok', value}` or the CLI's error shape,
   * carrying the request's correlation data back the way it came.
   */
  private async answer(
    payload: Buffer,
    packet: IPublishPacket,
    serve: (cmd: GatewayCommand) => Promise<unknown>,
  ): Promise<void> {
    this.stats_.commands += 1;
    const props = packet.properties;
    let cmd: GatewayCommand | undefined;
    let reply: Record<string, unknown>;
    try {
      cmd = parseCommand(payload);
      reply = { result: 'ok', value: await serve(cmd) };
    } catch (e) {
      this.stats_.commandErrors += 1;
      reply = errorRecord(e);
    }
    const fields = cmd ?? replyFieldsOf(payload);
    const topic = props?.responseTopic ?? fields.responseTopic;
    if (fields.correlationData !== undefined) reply.correlationData = fields.correlationData;
    if (topic === undefined || !validResponseTopic(topic)) {
      trace.warn(
        'no-response-topic',
        'a command came without a usable response topic: not answered',
      );
      return;
    }
    const client = this.client;
    if (!client) return;
    const text = JSON.stringify(reply, jsonReplacer);
    const correlationData = props?.correlationData;
    client.publish(
      topic,
      text,
      { qos: 1, ...(correlationData ? { properties: { correlationData } } : {}) },
      (err) => {
        if (err) trace.warn('reply', `answering a command on ${topic} failed: ${err.message}`);
      },
    );
  }

  /** Stops scanning, publishes the offline status, disconnects, closes the embedded broker. */
  async stop(): Promise<void> {
    this.fleet?.stop();
    this.scan?.abort();
    if (this.sweep) clearInterval(this.sweep);
    await this.loop?.catch((e: unknown) => trace.debug(`scan ended: ${String(e)}`));
    this.limiter.clear();
    await this.commands.close();
    const client = this.client;
    this.client = undefined;
    if (client) {
      await client
        .publishAsync(this.topics.status(), this.statusPayload('offline'), { qos: 1, retain: true })
        .catch((e: unknown) => trace.debug(`offline status: ${String(e)}`));
      await client.endAsync().catch(() => undefined);
    }
    await this.broker?.close();
    this.broker = undefined;
  }
}
