import { InvalidArgumentError, normalizeAddress, normalizeUuid } from '../core/index.js';
import type { ScanFilter, ScanResult } from './types.js';
import { describeValue } from '../core/describe.js';

/** A filter with every field validated and normalized, ready for matching. */
export interface CompiledScanFilter {
  nameContains?: string;
  serviceUuids?: string[];
  manufacturerId?: number;
  minRssi?: number;
  addresses?: Set<string>;
}

/** Validates a filter at the API edge (InvalidArgumentError before any I/O). */
export function compileScanFilter(f: ScanFilter): CompiledScanFilter {
  const out: CompiledScanFilter = {};
  if (f.nameContains !== undefined) {
    if (typeof f.nameContains !== 'string')
      throw new InvalidArgumentError('nameContains must be a string');
    out.nameContains = f.nameContains;
  }
  if (f.serviceUuids !== undefined) {
    if (!Array.isArray(f.serviceUuids))
      throw new InvalidArgumentError('serviceUuids must be an array');
    out.serviceUuids = f.serviceUuids.map((u) => normalizeUuid(u));
  }
  if (f.manufacturerId !== undefined) {
    const id = f.manufacturerId;
    if (!Number.isInteger(id) || id < 0 || id > 0xffff) {
      throw new InvalidArgumentError(`manufacturerId must be 0..0xffff: ${describeValue(id)}`);
    }
    out.manufacturerId = id;
  }
  if (f.minRssi !== undefined) {
    const r = f.minRssi;
    if (typeof r !== 'number' || !Number.isFinite(r) || r < -127 || r > 20) {
      throw new InvalidArgumentError(`minRssi must be -127..20 dBm: ${describeValue(r)}`);
    }
    out.minRssi = r;
  }
  if (f.addresses !== undefined) {
    if (!Array.isArray(f.addresses)) throw new InvalidArgumentError('addresses must be an array');
    out.addresses = new Set(f.addresses.map((a) => normalizeAddress(a)));
  }
  return out;
}

/** True when the report passes every criterion the filter sets. */
export function matchesScanFilter(r: ScanResult, f: CompiledScanFilter): boolean {
  if (f.addresses && !f.addresses.has(r.address)) return false;
  if (f.minRssi !== undefined && (r.rssi === undefined || r.rssi < f.minRssi)) return false;
  if (f.nameContains !== undefined && !(r.name ?? '').includes(f.nameContains)) return false;
  if (f.manufacturerId !== undefined && !r.advertisement.manufacturerData.has(f.manufacturerId)) {
    return false;
  }
  if (f.serviceUuids && f.serviceUuids.length > 0) {
    const ad = r.advertisement;
    const hit = f.serviceUuids.some((u) => ad.serviceUuids.includes(u) || ad.serviceData.has(u));
    if (!hit) return false;
  }
  return true;
}

function sameBytesMap<K>(a: Map<K, Buffer>, b: Map<K, Buffer>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) {
    const w = b.get(k);
    if (!w || !w.equals(v)) return false;
  }
  return true;
}

/** Whether a report says something new compared with the previous one from the same address. */
export function advertisementChanged(prev: ScanResult, next: ScanResult): boolean {
  const a = prev.advertisement;
  const b = next.advertisement;
  return (
    prev.name !== next.name ||
    a.flags !== b.flags ||
    a.txPower !== b.txPower ||
    a.appearance !== b.appearance ||
    a.serviceUuids.join() !== b.serviceUuids.join() ||
    !sameBytesMap(a.serviceData, b.serviceData) ||
    !sameBytesMap(a.manufacturerData, b.manufacturerData)
  );
}
