import { normalizeAddress } from '../core/index.js';

/**
 * The gateway's MQTT topic layout (README "Gateway"). Device topics carry the address without
 * colons, upper case, so that they are valid in every MQTT tool and in Home Assistant ids.
 */
export class Topics {
  constructor(
    /** The first topic level of everything published (default `blekit`). */
    readonly prefix: string,
    /** This gateway's id in its status topic. */
    readonly gatewayId: string,
  ) {}

  /** Retained gateway status, with the last will: {"state":"online"|"offline",...}. */
  status(): string {
    return `${this.prefix}/gateways/${this.gatewayId}/status`;
  }

  /** Retained: {"present":true|false,...} per device. */
  presence(address: string): string {
    return `${this.device(address)}/presence`;
  }

  /** Every (rate-limited) advertisement as the scan saw it. */
  advertisement(address: string): string {
    return `${this.device(address)}/advertisement`;
  }

  /** A decoded format: bthome, ibeacon, eddystone, service-data/<uuid>. */
  decoded(address: string, format: string): string {
    return `${this.device(address)}/${format}`;
  }

  /** Commands to this gateway (MQTT 5 request/response; README "Gateway commands"). */
  command(): string {
    return `${this.prefix}/gateways/${this.gatewayId}/command`;
  }

  /** Retained: {"connected":true|false,...} for devices connected through commands. */
  connection(address: string): string {
    return `${this.device(address)}/connection`;
  }

  /** Notifications of a subscribed characteristic, named as the subscribe command named it. */
  notification(address: string, characteristic: string): string {
    return `${this.device(address)}/notify/${characteristic}`;
  }

  /** Fleets: what gateway `gateway` heard of a device (RSSI, live, not retained). */
  fleetSeen(address: string, gateway = this.gatewayId): string {
    return `${this.fleet(address)}/seen/${gateway}`;
  }

  /** Fleets, retained: {"gateway": id | null} — who holds the device's connection. */
  fleetOwner(address: string): string {
    return `${this.fleet(address)}/owner`;
  }

  /** Fleets, retained: the connection and subscriptions the owner holds, for the next owner. */
  fleetSession(address: string): string {
    return `${this.fleet(address)}/session`;
  }

  /** Fleets: commands to a device, served by whichever gateway owns it. */
  fleetCommand(address: string): string {
    return `${this.fleet(address)}/command`;
  }

  private fleet(address: string): string {
    return `${this.prefix}/fleet/${deviceKey(address)}`;
  }

  /** The topic prefix of one device: `<prefix>/devices/<ADDRESS>`. */
  device(address: string): string {
    return `${this.prefix}/devices/${deviceKey(address)}`;
  }
}

/** 'aa:bb:cc:dd:ee:ff' → 'AABBCCDDEEFF'. */
export function deviceKey(address: string): string {
  return normalizeAddress(address).replace(/:/g, '');
}

const LEVEL = /^[A-Za-z0-9_.-]+$/;

/** A topic prefix or gateway id must be plain text with no wildcards; slashes only between levels. */
export function validTopicPart(s: string, slashes: boolean): boolean {
  if (typeof s !== 'string' || s.length === 0 || s.length > 200) return false;
  const levels = slashes ? s.split('/') : [s];
  return levels.every((l) => LEVEL.test(l));
}
