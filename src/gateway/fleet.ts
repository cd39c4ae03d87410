import type { IPublishPacket } from 'mqtt';
import { InvalidArgumentError, NotFoundError, log, normalizeAddress } from '../core/index.js';
import { parseCommand, type GatewayCommand } from './commands.js';
import { FleetView } from './fleet-view.js';
import type { Topics } from './topics.js';

const trace = log('gateway');

/** How long a fleet waits after a device lost its owner, so that every gateway's sighting is in. */
export const SETTLE_MS = 1000;
/** How long a gateway that failed to take a device, or lost it, stays out of its elections. */
export const BENCH_MS = 30_000;

/** What the owner holds for a device, retained so that the next owner can restore it. */
export interface FleetSession {
  connected: boolean;
  addressType?: 'public' | 'random';
  /** The characteristics subscribed, as the subscribe commands named them. */
  subscriptions: string[];
}

/** What the fleet needs from its gateway. */
export interface FleetHost {
  readonly topics: Topics;
  publish(topic: string, payload: unknown, retain?: boolean): void;
  /** Runs a command on this gateway's connections (allow-list and bounds included). */
  run(cmd: GatewayCommand): Promise<unknown>;
  /** Answers a command message the way the gateway answers its own command topic. */
  answer(
    payload: Buffer,
    packet: IPublishPacket,
    serve: (cmd: GatewayCommand) => Promise<unknown>,
  ): Promise<void>;
  /** A device changed hands: `from` is the owner this gateway took it from, if any. */
  tookOver(event: { address: string; from?: string; ms: number }): void;
}

/**
 * A gateway's part in a fleet of gateways sharing one broker: it shares what it hears, follows the
 * others' status (their last will says when one dies), serves the fleet command topic of the
 * devices it owns, and takes over an orphaned device's connection and subscriptions when it is the
 * best placed. The topics are in the README's "Fleets" section.
 */
export class Fleet {
  readonly view: FleetView;
  private readonly sessions = new Map<string, FleetSession>();
  private readonly pending = new Map<string, NodeJS.Timeout>();
  private readonly restoring = new Set<string>();
  /** When each device lost its owner, and who that was: the handover's figures. */
  private readonly orphaned = new Map<string, { at: number; from?: string }>();
  private stopped = false;

  /** The topics onMessage() takes, compiled once: every sighting of every gateway passes here. */
  private readonly statusTopic: RegExp;
  private readonly fleetTopic: RegExp;

  constructor(
    private readonly host: FleetHost,
    recentMs?: number,
  ) {
    this.view = new FleetView(host.topics.gatewayId, recentMs);
    const p = escape(host.topics.prefix);
    this.statusTopic = new RegExp(`^${p}/gateways/([^/]+)/status$`);
    this.fleetTopic = new RegExp(`^${p}/fleet/([0-9A-F]{12})/(seen/[^/]+|owner|session|command)$`);
  }

  private get self(): string {
    return this.host.topics.gatewayId;
  }

  /** The topic filters a fleet member subscribes to. */
  filters(): string[] {
    const p = this.host.topics.prefix;
    return [`${p}/fleet/#`, `${p}/gateways/+/status`];
  }

  /** This gateway heard `address` (the caller rate-limits): tell the fleet. */
  heard(address: string, rssi: number | undefined): void {
    this.host.publish(this.host.topics.fleetSeen(address), {
      gateway: this.self,
      rssi: rssi ?? null,
      timestamp: new Date().toISOString(),
    });
  }

  /** A link this gateway owned went down without a disconnect command. */
  lost(address: string): void {
    if (this.view.owner(address) !== this.self) return;
    this.release(address, true);
  }

  /** Handles a message on one of filters(); false if the topic is not the fleet's. */
  onMessage(topic: string, payload: Buffer, packet: IPublishPacket): boolean {
    const status = this.statusTopic.exec(topic);
    if (status) {
      this.onStatus(status[1] as string, payload);
      return true;
    }
    const m = this.fleetTopic.exec(topic);
    if (!m) return false;
    const address = (m[1] as string).replace(/(..)(?!$)/g, '$1:');
    const kind = m[2] as string;
    if (kind === 'command') {
      void this.onCommand(address, payload, packet);
      return true;
    }
    const body = parseJson(payload);
    if (!body) return true;
    if (kind.startsWith('seen/')) {
      const rssi = typeof body.rssi === 'number' ? body.rssi : undefined;
      // The receiver's clock, so that gateways with skewed clocks still compare fairly.
      this.view.sighting(address, kind.slice(5), rssi, Date.now());
      this.maybeTakeOver(address);
    } else if (kind === 'owner') {
      this.onOwner(address, body);
    } else {
      this.sessions.set(address, {
        connected: body.connected === true,
        ...(body.addressType === 'public' || body.addressType === 'random'
          ? { addressType: body.addressType }
          : {}),
        subscriptions: Array.isArray(body.subscriptions)
          ? body.subscriptions.filter((s): s is string => typeof s === 'string').slice(0, 32)
          : [],
      });
      this.maybeTakeOver(address);
    }
    return true;
  }

  private onStatus(gateway: string, payload: Buffer): void {
    const online = parseJson(payload)?.state === 'online';
    for (const address of this.view.setOnline(gateway, online)) {
      this.orphaned.set(address, { at: Date.now(), from: gateway });
      this.maybeTakeOver(address);
    }
  }

  private onOwner(address: string, body: Record<string, unknown>): void {
    const owner = typeof body.gateway === 'string' ? body.gateway : undefined;
    const previous = this.view.owner(address);
    if (typeof body.benched === 'string') {
      this.view.bench(address, body.benched, BENCH_MS, Date.now());
    }
    if (owner !== undefined && owner !== this.self && previous === this.self) {
      // Two gateways claimed at once: the lower id keeps the device and claims it again.
      if (this.self < owner) {
        this.claim(address);
        return;
      }
      trace.debug(`${owner} holds ${address}: disconnecting here`);
      void this.host.run(command({ command: 'disconnect', address })).catch(() => undefined);
    }
    this.view.setOwner(address, owner);
    if (owner === undefined) {
      if (!this.orphaned.has(address)) {
        this.orphaned.set(address, { at: Date.now(), ...(previous ? { from: previous } : {}) });
      }
      this.maybeTakeOver(address);
    } else {
      this.orphaned.delete(address);
    }
  }

  /** After SETTLE_MS, takes `address` if the fleet holds a session for it and elects this one. */
  private maybeTakeOver(address: string): void {
    if (this.stopped || this.pending.has(address) || this.restoring.has(address)) return;
    if (!this.sessions.get(address)?.connected || this.view.owner(address) !== undefined) return;
    const timer = setTimeout(() => {
      this.pending.delete(address);
      void this.takeOver(address);
    }, SETTLE_MS);
    timer.unref();
    this.pending.set(address, timer);
  }

  private async takeOver(address: string): Promise<void> {
    const session = this.sessions.get(address);
    if (this.stopped || !session?.connected || this.view.owner(address) !== undefined) return;
    if (this.view.elect(address, Date.now()) !== this.self) return;
    this.restoring.add(address);
    const orphan = this.orphaned.get(address);
    this.claim(address);
    try {
      await this.host.run(
        command({
          command: 'connect',
          address,
          ...(session.addressType ? { addressType: session.addressType } : {}),
        }),
      );
      for (const characteristic of session.subscriptions) {
        await this.host.run(command({ command: 'subscribe', address, characteristic }));
      }
      this.saveSession(address, session);
      const ms = orphan ? Date.now() - orphan.at : 0;
      this.orphaned.delete(address);
      trace.debug(`took over ${address} from ${orphan?.from ?? '?'} in ${ms} ms`);
      this.host.tookOver({ address, ...(orphan?.from ? { from: orphan.from } : {}), ms });
    } catch (e) {
      trace.debug(`could not take over ${address}: ${(e as Error).message}`);
      await this.host.run(command({ command: 'disconnect', address })).catch(() => undefined);
      this.release(address, true);
    } finally {
      this.restoring.delete(address);
    }
  }

  /**
   * A command on a device's fleet topic: the owner serves it; with no owner, the gateway the
   * fleet elects takes the device first. When no gateway has heard the device recently, the
   * lowest online gateway id answers with a NotFoundError so that the caller is not left waiting.
   */
  private async onCommand(address: string, payload: Buffer, packet: IPublishPacket): Promise<void> {
    const who = this.view.elect(address, Date.now());
    if (who === undefined) {
      if (this.view.spokesman() !== this.self) return;
      await this.host.answer(payload, packet, () => {
        throw new NotFoundError(
          `no gateway of the fleet heard ${address} in the last ${this.view.recentMs / 1000} s`,
        );
      });
      return;
    }
    if (who !== this.self) return;
    if (this.view.owner(address) !== this.self) this.claim(address);
    await this.host.answer(withAddress(payload, address), packet, async (cmd) => {
      if (cmd.address !== address) {
        throw new InvalidArgumentError(
          `a fleet command is for the device of its topic (${address})`,
        );
      }
      const value = await this.host.run(cmd);
      this.recordSession(cmd);
      return { ...(value as object), gateway: this.self };
    });
  }

  /** Keeps the retained session in step with what the owner now holds. */
  private recordSession(cmd: GatewayCommand): void {
    const address = cmd.address;
    const s = this.sessions.get(address) ?? { connected: false, subscriptions: [] };
    const target = cmd.target ?? '';
    switch (cmd.command) {
      case 'connect':
        if (s.connected) return;
        this.saveSession(address, {
          connected: true,
          ...(cmd.addressType ? { addressType: cmd.addressType } : {}),
          subscriptions: [],
        });
        return;
      case 'subscribe':
        if (s.subscriptions.includes(target)) return;
        this.saveSession(address, { ...s, subscriptions: [...s.subscriptions, target] });
        return;
      case 'unsubscribe':
        this.saveSession(address, {
          ...s,
          subscriptions: s.subscriptions.filter((t) => t !== target),
        });
        return;
      case 'disconnect':
        this.saveSession(address, { connected: false, subscriptions: [] });
        this.release(address, false);
        return;
      default:
        return;
    }
  }

  private saveSession(address: string, s: FleetSession): void {
    this.sessions.set(address, s);
    this.host.publish(this.host.topics.fleetSession(address), s, true);
  }

  private claim(address: string): void {
    this.view.setOwner(address, this.self);
    this.host.publish(
      this.host.topics.fleetOwner(address),
      { gateway: this.self, timestamp: new Date().toISOString() },
      true,
    );
  }

  /** Gives a device up; `bench` keeps this gateway out of its next elections. */
  private release(address: string, bench: boolean): void {
    this.view.setOwner(address, undefined);
    if (bench) this.view.bench(address, this.self, BENCH_MS, Date.now());
    this.host.publish(
      this.host.topics.fleetOwner(address),
      {
        gateway: null,
        ...(bench ? { benched: this.self } : {}),
        timestamp: new Date().toISOString(),
      },
      true,
    );
  }

  /** Stops taking devices over (the gateway is stopping; its status says offline). */
  stop(): void {
    this.stopped = true;
    for (const t of this.pending.values()) clearTimeout(t);
    this.pending.clear();
  }
}

function command(o: Record<string, unknown>): GatewayCommand {
  return parseCommand(Buffer.from(JSON.stringify(o)));
}

function parseJson(payload: Buffer): Record<string, unknown> | undefined {
  if (payload.length === 0 || payload.length > 4096) return undefined;
  try {
    const o: unknown = JSON.parse(payload.toString('utf8'));
    return typeof o === 'object' && o !== null && !Array.isArray(o)
      ? (o as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** A fleet command may leave out the address its topic names. */
function withAddress(payload: Buffer, address: string): Buffer {
  const o = parseJson(payload);
  if (!o || o.address !== undefined) return payload;
  return Buffer.from(JSON.stringify({ ...o, address: normalizeAddress(address) }));
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
