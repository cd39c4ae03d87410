import {
  InvalidArgumentError,
  PermissionError,
  isAddress,
  isUuid,
  normalizeAddress,
  normalizeUuid,
} from '../core/index.js';

/**
 * Which devices commands may connect to and write to. Anyone who can publish on the broker can
 * send commands, so the default is nothing: connecting (and with it every command that needs a
 * connection) and writing are refused with a PermissionError until the gateway is started with
 * addresses and/or service UUIDs. A listed address allows everything on that device; a listed
 * service allows connecting to devices that advertised it and writing to its characteristics.
 */
export class AllowList {
  readonly addresses: ReadonlySet<string>;
  readonly services: ReadonlySet<string>;

  constructor(entries: Iterable<string> = []) {
    const addresses = new Set<string>();
    const services = new Set<string>();
    for (const e of entries) {
      if (typeof e === 'string' && isAddress(e)) addresses.add(normalizeAddress(e));
      else if (isUuid(e)) services.add(normalizeUuid(e));
      else
        throw new InvalidArgumentError(
          `allow-list entry ${JSON.stringify(e)} is neither an address nor a UUID`,
        );
    }
    this.addresses = addresses;
    this.services = services;
  }

  get empty(): boolean {
    return this.addresses.size === 0 && this.services.size === 0;
  }

  /** Throws unless a device with this address, advertising these services, may be connected. */
  checkConnect(address: string, advertised: Iterable<string>): void {
    if (this.addresses.has(address)) return;
    for (const s of advertised) if (this.services.has(s)) return;
    throw new PermissionError(this.refusal('connecting to', address));
  }

  /** Throws unless this characteristic, in the service `service`, may be written. */
  checkWrite(address: string, service: string | undefined): void {
    if (this.addresses.has(address)) return;
    if (service !== undefined && this.services.has(service)) return;
    throw new PermissionError(this.refusal('writing to', address));
  }

  private refusal(what: string, address: string): string {
    return this.empty
      ? `${what} devices is off: start the gateway with an allow-list (--allow ADDRESS or --allow SERVICE-UUID)`
      : `${what} ${address} is not allowed by the gateway's allow-list`;
  }
}
