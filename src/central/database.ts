import {
  InvalidArgumentError,
  NotFoundError,
  normalizeUuid,
  validateHandle,
} from '../core/index.js';
import type { CharacteristicInfo, CharacteristicRef, ServiceInfo } from './types.js';
import { describeValue } from '../core/describe.js';

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null;
}

/**
 * A discovered GATT database with the lookups the central API offers: by characteristic
 * UUID (must be unique), by service + characteristic UUID, and by value or declaration handle.
 */
export class GattDatabase {
  /** The services in handle order, as discovered. */
  readonly services: readonly ServiceInfo[];
  private readonly byHandle = new Map<number, CharacteristicInfo>();
  private readonly byUuid = new Map<string, CharacteristicInfo[]>();
  private readonly serviceOf = new Map<CharacteristicInfo, ServiceInfo>();
  /** Bare-UUID references as the caller spelled them: a hot loop of writes resolves each once. */
  private readonly byRef = new Map<string | number, CharacteristicInfo>();

  constructor(services: ServiceInfo[]) {
    this.services = services;
    for (const s of services) {
      for (const c of s.characteristics) {
        this.byHandle.set(c.valueHandle, c);
        if (!this.byHandle.has(c.handle)) this.byHandle.set(c.handle, c);
        const list = this.byUuid.get(c.uuid);
        if (list) list.push(c);
        else this.byUuid.set(c.uuid, [c]);
        this.serviceOf.set(c, s);
      }
    }
  }

  /** Every characteristic, in handle order. */
  characteristics(): CharacteristicInfo[] {
    return this.services.flatMap((s) => s.characteristics);
  }

  /** The service that holds characteristic `c`, if it is in this database. */
  serviceFor(c: CharacteristicInfo): ServiceInfo | undefined {
    return this.serviceOf.get(c);
  }

  /**
   * Resolves a reference; NotFoundError when absent, InvalidArgumentError when malformed or
   * when a bare UUID matches more than one characteristic (use { service, characteristic }).
   */
  find(ref: CharacteristicRef): CharacteristicInfo {
    if (isObject(ref) && 'handle' in ref) {
      const h = validateHandle(ref.handle);
      const c = this.byHandle.get(h);
      if (!c) throw new NotFoundError(`No characteristic at handle 0x${h.toString(16)}`);
      return c;
    }
    if (isObject(ref) && 'service' in ref && 'characteristic' in ref) {
      const su = normalizeUuid(ref.service);
      const cu = normalizeUuid(ref.characteristic);
      const services = this.services.filter((s) => s.uuid === su);
      if (services.length === 0) throw new NotFoundError(`No service ${su}`);
      const hits = services.flatMap((s) => s.characteristics.filter((c) => c.uuid === cu));
      if (hits.length === 0) throw new NotFoundError(`No characteristic ${cu} in service ${su}`);
      if (hits.length > 1) {
        throw new InvalidArgumentError(
          `Characteristic ${cu} appears ${hits.length} times in service ${su}: use its handle`,
        );
      }
      return hits[0] as CharacteristicInfo;
    }
    if (typeof ref === 'string' || typeof ref === 'number') {
      const known = this.byRef.get(ref);
      if (known) return known;
      const u = normalizeUuid(ref);
      const hits = this.byUuid.get(u) ?? [];
      if (hits.length === 0) throw new NotFoundError(`No characteristic ${u}`);
      if (hits.length > 1) {
        throw new InvalidArgumentError(
          `Characteristic ${u} appears ${hits.length} times: give { service, characteristic } or a handle`,
        );
      }
      this.byRef.set(ref, hits[0] as CharacteristicInfo);
      return hits[0] as CharacteristicInfo;
    }
    throw new InvalidArgumentError(`Invalid characteristic reference: ${describeValue(ref)}`);
  }

  /** What find() already resolved for this bare-UUID reference (no validation needed). */
  resolved(ref: CharacteristicRef): CharacteristicInfo | undefined {
    return typeof ref === 'string' || typeof ref === 'number' ? this.byRef.get(ref) : undefined;
  }

  /** Descriptor handle by characteristic and descriptor UUID. */
  findDescriptor(ref: CharacteristicRef, descriptorUuid: string | number): number {
    const c = this.find(ref);
    const u = normalizeUuid(descriptorUuid);
    const d = c.descriptors.find((x) => x.uuid === u);
    if (!d) throw new NotFoundError(`Characteristic ${c.uuid} has no descriptor ${u}`);
    return d.handle;
  }
}

/** Checks a reference's shape and values without a database (API edge, before any I/O). */
export function validateRef(ref: CharacteristicRef): void {
  if (isObject(ref) && 'handle' in ref) {
    validateHandle(ref.handle);
  } else if (isObject(ref) && 'service' in ref && 'characteristic' in ref) {
    normalizeUuid(ref.service);
    normalizeUuid(ref.characteristic);
  } else if (typeof ref === 'string' || typeof ref === 'number') {
    normalizeUuid(ref);
  } else {
    throw new InvalidArgumentError(`Invalid characteristic reference: ${describeValue(ref)}`);
  }
}
