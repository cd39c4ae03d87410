import type { ConnectOptions, Device } from '../central/index.js';
import { BusyError, NotConnectedError, NotSupportedError, log } from '../core/index.js';
import { valueRecord } from '../cli/values.js';
import type { AllowList } from './allow-list.js';
import type { GatewayCommand } from './commands.js';
import type { Topics } from './topics.js';

const trace = log('gateway');

/** What commands connect with: a started Central. */
export interface ConnectSource {
  /** Connects and resolves with the live Device; rejects with the Central's typed errors. */
  connect(address: string, options?: ConnectOptions): Promise<Device>;
}

/** Bounds that keep a flood of commands from exhausting the gateway or the radio. */
export const MAX_IN_FLIGHT = 8;
export const MAX_CONNECTIONS = 8;
export const MAX_SUBSCRIPTIONS = 32;

interface Held {
  device: Device;
  /** Subscriptions by the characteristic as the command named it: their undo. */
  subs: Map<string, () => Promise<void>>;
}

/** Where DeviceCommands publishes notifications and connection changes. */
export interface CommandSink {
  publish(topic: string, payload: unknown, retain?: boolean): void;
  /** Service UUIDs the device was last seen advertising (for a service allow-list). */
  advertised(address: string): Iterable<string>;
  /** A connection went down without a disconnect command. */
  lost?(address: string): void;
}

/**
 * Runs validated commands against the devices this gateway connects to: the connections, the
 * notification subscriptions (published to `devices/<ADDRESS>/notify/<characteristic>` with a
 * per-subscription sequence number), the allow-list checks and the bounds.
 */
export class DeviceCommands {
  private readonly held = new Map<string, Held>();
  private inFlight = 0;

  constructor(
    private readonly central: ConnectSource | undefined,
    private readonly allow: AllowList,
    private readonly topics: Topics,
    private readonly sink: CommandSink,
  ) {}

  /** Addresses connected through commands. */
  get connected(): string[] {
    return [...this.held.keys()];
  }

  /** Runs one command; resolves to the reply's `value`, or throws a typed error. */
  async run(cmd: GatewayCommand): Promise<unknown> {
    if (this.inFlight >= MAX_IN_FLIGHT) {
      throw new BusyError(`${MAX_IN_FLIGHT} commands already running: try again`);
    }
    this.inFlight += 1;
    try {
      return await this.dispatch(cmd);
    } finally {
      this.inFlight -= 1;
    }
  }

  private async dispatch(cmd: GatewayCommand): Promise<unknown> {
    const { address } = cmd;
    const timing = cmd.timeoutMs !== undefined ? { timeoutMs: cmd.timeoutMs } : {};
    if (cmd.command === 'connect') return this.connect(cmd);
    const held = this.held.get(address);
    if (cmd.command === 'disconnect') {
      if (!held) return { address, connected: false };
      this.held.delete(address);
      await held.device.disconnect(timing);
      this.publishConnection(address, false);
      return { address, connected: false };
    }
    if (!held || !held.device.connected) {
      throw new NotConnectedError(`${address} is not connected: send connect first`);
    }
    const { device } = held;
    const ref = cmd.characteristic as NonNullable<GatewayCommand['characteristic']>;
    const target = cmd.target as string;
    switch (cmd.command) {
      case 'discover':
        return { address, services: await device.discover(timing) };
      case 'read': {
        const c = await device.characteristic(ref, timing);
        const value = await device.read(ref, timing);
        return { address, ...valueRecord(c, value, 'hex') };
      }
      case 'write': {
        const services = await device.discover(timing);
        const c = await device.characteristic(ref, timing);
        const service = services.find(
          (s) => s.startHandle <= c.handle && c.handle <= s.endHandle,
        )?.uuid;
        this.allow.checkWrite(address, service);
        const value = cmd.value as Buffer;
        await device.write(ref, value, {
          ...timing,
          withoutResponse: cmd.withoutResponse ?? false,
        });
        return { address, uuid: c.uuid, handle: c.valueHandle, written: value.length };
      }
      case 'subscribe':
        return this.subscribe(held, ref, target, timing);
      case 'unsubscribe': {
        const off = held.subs.get(target);
        held.subs.delete(target);
        await off?.();
        return { address, characteristic: target, subscribed: false };
      }
    }
  }

  private async connect(cmd: GatewayCommand): Promise<unknown> {
    const { address } = cmd;
    this.allow.checkConnect(address, this.sink.advertised(address));
    if (!this.central) throw new NotSupportedError('this gateway has no central to connect with');
    const known = this.held.get(address);
    if (known?.device.connected) return { address, connected: true, mtu: known.device.mtu };
    if (this.held.size >= MAX_CONNECTIONS) {
      throw new BusyError(`the gateway already holds ${MAX_CONNECTIONS} connections`);
    }
    const device = await this.central.connect(address, {
      ...(cmd.addressType ? { addressType: cmd.addressType } : {}),
      ...(cmd.timeoutMs !== undefined ? { timeoutMs: cmd.timeoutMs } : {}),
    });
    const held: Held = { device, subs: new Map() };
    this.held.set(address, held);
    device.registerDisconnectCallback((_d, reason) => {
      if (this.held.get(address) !== held) return;
      trace.debug(`${address} disconnected (${String(reason)})`);
      this.held.delete(address);
      this.publishConnection(address, false);
      this.sink.lost?.(address);
    });
    this.publishConnection(address, true);
    return { address, connected: true, mtu: device.mtu };
  }

  private async subscribe(
    held: Held,
    ref: NonNullable<GatewayCommand['characteristic']>,
    target: string,
    timing: { timeoutMs?: number },
  ): Promise<unknown> {
    const { device } = held;
    const address = device.address;
    const topic = this.topics.notification(address, target);
    if (held.subs.has(target)) return { address, characteristic: target, subscribed: true, topic };
    const total = [...this.held.values()].reduce((n, h) => n + h.subs.size, 0);
    if (total >= MAX_SUBSCRIPTIONS) {
      throw new BusyError(`the gateway already holds ${MAX_SUBSCRIPTIONS} subscriptions`);
    }
    const c = await device.characteristic(ref, timing);
    let seq = 0;
    const gateway = this.topics.gatewayId;
    const off = await device.subscribe(
      ref,
      (value) => {
        seq += 1;
        this.sink.publish(topic, {
          ...valueRecord(c, value, 'hex'),
          address,
          seq,
          gateway,
          timestamp: new Date().toISOString(),
        });
      },
      timing,
    );
    held.subs.set(target, off);
    return { address, characteristic: target, subscribed: true, topic };
  }

  private publishConnection(address: string, connected: boolean): void {
    this.sink.publish(
      this.topics.connection(address),
      { connected, address, gateway: this.topics.gatewayId, timestamp: new Date().toISOString() },
      true,
    );
  }

  /** Disconnects everything (the gateway is stopping). */
  async close(): Promise<void> {
    const all = [...this.held.values()];
    this.held.clear();
    await Promise.all(all.map((h) => h.device.disconnect().catch(() => undefined)));
  }
}
