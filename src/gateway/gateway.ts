import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import type { MqttClient } from 'mqtt';
import type { ScanFilter, ScanOptions, ScanResult } from '../central/index.js';
import { BleError, InvalidArgumentError, log, normalizeAddress } from '../core/index.js';
import { scanRecord } from '../cli/format.js';
import { startEmbeddedBroker, type EmbeddedBroker } from './broker.js';
import { bthomeValues, decodeAdvertisement, type DecodedAdvertisement } from './decode.js';
import { discoveryFor } from './home-assistant.js';
import { RateLimiter } from './rate-limit.js';
import { Topics, validTopicPart } from './topics.js';

const trace = log('gateway');

/** What the gateway scans with: a started Central (or anything with its scanStream). */
export interface ScanSource {
  scanStream(options: ScanOptions): AsyncIterable<ScanResult>;
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
}

interface DeviceState {
  lastSeen: number;
  name?: string;
  announced: Set<string>;
}

/** Counters of a running gateway (`gateway.stats`). */
export interface GatewayStats {
  advertisements: number;
  published: number;
  devices: number;
  /** Publications replaced by a newer one within the rate limit. */
  rateLimited: number;
  publishErrors: number;
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
 * (topic, payload), 'error' (Error). See the README's "Gateway" section for the topics.
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
  private readonly stats_ = { advertisements: 0, published: 0, publishErrors: 0 };
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
    this.presenceTimeoutMs = check(options.presenceTimeoutMs, 'presenceTimeoutMs', 1000, 60_000);
    for (const [addr, key] of Object.entries(options.bindKeys ?? {})) {
      this.bindKeys.set(normalizeAddress(addr), key);
    }
    if (options.mqtt !== undefined && !/^(mqtts?|wss?|tcp|ssl):\/\//.test(options.mqtt)) {
      throw new InvalidArgumentError(`MQTT URL must start with mqtt://, mqtts://, ws:// or wss://`);
    }
  }

  /** What the gateway has seen and published so far. */
  get stats(): GatewayStats {
    return { ...this.stats_, devices: this.devices.size, rateLimited: this.limiter.dropped };
  }

  private statusPayload(state: 'online' | 'offline'): string {
    return JSON.stringify({
      state,
      gateway: this.topics.gatewayId,
      adapter: this.o.central.adapter?.name ?? null,
      timestamp: new Date().toISOString(),
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
        reconnectPeriod: 2000,
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
    this.client.on('error', (e) => this.emit('error', e));
    await this.client.publishAsync(this.topics.status(), this.statusPayload('online'), {
      qos: 1,
      retain: true,
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
    client.publish(topic, text, { qos: 1, retain }, (err) => {
      if (!err) return;
      this.stats_.publishErrors += 1;
      trace.warn('publish', `publishing to ${topic} failed: ${err.message}`);
    });
  }

  private onReport(r: ScanResult): void {
    this.stats_.advertisements += 1;
    const address = normalizeAddress(r.address);
    let dev = this.devices.get(address);
    const gateway = this.topics.gatewayId;
    if (!dev) {
      dev = { lastSeen: r.timestamp, announced: new Set() };
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
    const cutoff = Date.now() - this.presenceTimeoutMs;
    for (const [address, dev] of this.devices) {
      if (dev.lastSeen >= cutoff) continue;
      this.devices.delete(address);
      this.limiter.forget(`${address} advertisement`);
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

  /** Stops scanning, publishes the offline status, disconnects, closes the embedded broker. */
  async stop(): Promise<void> {
    this.scan?.abort();
    if (this.sweep) clearInterval(this.sweep);
    await this.loop?.catch((e: unknown) => trace.debug(`scan ended: ${String(e)}`));
    this.limiter.clear();
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
