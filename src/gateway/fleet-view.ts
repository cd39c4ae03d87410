/**
 * One gateway's picture of its fleet: which gateways are online, how loud each heard each device
 * and when, and who owns each device's connection. Every gateway builds it from the same broker
 * topics, so every gateway elects the same owner without a coordinator.
 *
 * Ownership is sticky: a device keeps its owner while that gateway is online and has not given
 * it up, because moving a live connection costs a reconnect and its subscriptions. Only a device
 * with no live owner is elected, by best recent RSSI, ties to the lower gateway id.
 */
export class FleetView {
  private readonly online = new Set<string>();
  private readonly heard = new Map<string, Map<string, { rssi: number; at: number }>>();
  private readonly owners = new Map<string, string>();
  /** Gateways that just failed or lost a device, left out of its elections until `until`. */
  private readonly benched = new Map<string, Map<string, number>>();

  constructor(
    /** This gateway's id. */
    readonly self: string,
    /** A sighting older than this (ms) does not count in an election. */
    readonly recentMs = 30_000,
  ) {
    this.online.add(self);
  }

  /** A gateway's status changed; returns the devices it owned if it went offline. */
  setOnline(gateway: string, on: boolean): string[] {
    if (on) {
      this.online.add(gateway);
      return [];
    }
    this.online.delete(gateway);
    const orphans = [...this.owners].filter(([, g]) => g === gateway).map(([d]) => d);
    for (const d of orphans) this.owners.delete(d);
    return orphans;
  }

  isOnline(gateway: string): boolean {
    return this.online.has(gateway);
  }

  /** `gateway` heard `device` at `rssi` dBm (undefined: the radio gave none, counted weakest). */
  sighting(device: string, gateway: string, rssi: number | undefined, at: number): void {
    let m = this.heard.get(device);
    if (!m) this.heard.set(device, (m = new Map()));
    m.set(gateway, { rssi: rssi ?? -128, at });
  }

  /** The owner's claim as the broker holds it (undefined: given up). */
  setOwner(device: string, gateway: string | undefined): void {
    if (gateway === undefined) this.owners.delete(device);
    else this.owners.set(device, gateway);
  }

  /** Keeps `gateway` out of `device`'s elections for `ms` (it failed to connect or lost it). */
  bench(device: string, gateway: string, ms: number, now: number): void {
    let m = this.benched.get(device);
    if (!m) this.benched.set(device, (m = new Map()));
    m.set(gateway, now + ms);
  }

  /** The device's owner if that gateway is online. */
  owner(device: string): string | undefined {
    const g = this.owners.get(device);
    return g !== undefined && this.online.has(g) ? g : undefined;
  }

  /** The live owner, else the gateway that should take the device now (undefined: nobody can). */
  elect(device: string, now: number): string | undefined {
    const live = this.owner(device);
    if (live !== undefined) return live;
    const benched = this.benched.get(device);
    let best: { gateway: string; rssi: number } | undefined;
    for (const [gateway, s] of this.heard.get(device) ?? []) {
      if (!this.online.has(gateway) || now - s.at > this.recentMs) continue;
      if ((benched?.get(gateway) ?? 0) > now) continue;
      if (!best || s.rssi > best.rssi || (s.rssi === best.rssi && gateway < best.gateway)) {
        best = { gateway, rssi: s.rssi };
      }
    }
    return best?.gateway;
  }

  /** The online gateway that answers for the fleet when no gateway can serve (lowest id). */
  spokesman(): string {
    return [...this.online].sort()[0] ?? this.self;
  }

  /** Forgets a device nobody has heard for `recentMs` and nobody owns (bounds memory). */
  prune(now: number): void {
    for (const [device, m] of this.heard) {
      for (const [g, s] of m) if (now - s.at > this.recentMs) m.delete(g);
      if (m.size === 0 && !this.owners.has(device)) {
        this.heard.delete(device);
        this.benched.delete(device);
      }
    }
  }
}
