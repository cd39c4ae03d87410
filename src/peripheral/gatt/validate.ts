import {
  InvalidArgumentError,
  isCharacteristicFlag,
  normalizeUuid,
  toBuffer,
  type CharacteristicFlag,
} from '../../core/index.js';
import {
  DESCRIPTOR_FLAGS,
  type CharacteristicDefinition,
  type DescriptorDefinition,
  type DescriptorFlag,
  type ServiceDefinition,
} from './types.js';

/** ATT's limit on an attribute value. */
export const MAX_ATTRIBUTE_LENGTH = 512;

/** UUIDs BlueZ owns: an application must not declare them. */
const RESERVED_SERVICES = new Set([0x1800, 0x1801].map((n) => normalizeUuid(n)));
const CCCD = normalizeUuid(0x2902);
const EXTENDED_PROPERTIES = normalizeUuid(0x2900);

export function checkHandle(h: number | undefined, what: string): number {
  if (h === undefined) return 0;
  if (!Number.isInteger(h) || h < 0 || h > 0xffff) {
    throw new InvalidArgumentError(`${what}: handle must be 0..0xffff, got ${String(h)}`);
  }
  return h;
}

export function checkValue(v: unknown, what: string): Buffer {
  const buf = toBuffer(v as Parameters<typeof toBuffer>[0]);
  if (buf.length > MAX_ATTRIBUTE_LENGTH) {
    throw new InvalidArgumentError(
      `${what}: value is ${buf.length} bytes, ATT allows ${MAX_ATTRIBUTE_LENGTH}`,
    );
  }
  return buf;
}

function checkFn(f: unknown, what: string): void {
  if (f !== undefined && typeof f !== 'function') {
    throw new InvalidArgumentError(`${what} must be a function`);
  }
}

function uuidOf(input: unknown, what: string): string {
  if (typeof input !== 'string' && typeof input !== 'number') {
    throw new InvalidArgumentError(`${what}: uuid is required`);
  }
  return normalizeUuid(input);
}

export function checkCharacteristicFlags(
  flags: readonly unknown[] | undefined,
  what: string,
): CharacteristicFlag[] {
  const list = flags === undefined ? ['read'] : [...flags];
  if (!Array.isArray(list) || list.length === 0) {
    throw new InvalidArgumentError(`${what}: flags must be a non-empty array`);
  }
  for (const f of list) {
    if (!isCharacteristicFlag(f)) {
      throw new InvalidArgumentError(`${what}: unknown flag ${JSON.stringify(f)}`);
    }
  }
  return [...new Set(list as CharacteristicFlag[])];
}

export function checkDescriptorFlags(
  flags: readonly unknown[] | undefined,
  what: string,
): DescriptorFlag[] {
  const list = flags === undefined ? ['read'] : [...flags];
  if (list.length === 0) throw new InvalidArgumentError(`${what}: flags must be non-empty`);
  for (const f of list) {
    if (!(DESCRIPTOR_FLAGS as readonly unknown[]).includes(f)) {
      throw new InvalidArgumentError(`${what}: unknown descriptor flag ${JSON.stringify(f)}`);
    }
  }
  return [...new Set(list as DescriptorFlag[])];
}

export function validateDescriptor(d: DescriptorDefinition, what: string): void {
  if (typeof d !== 'object' || d === null) throw new InvalidArgumentError(`${what}: not an object`);
  const uuid = uuidOf(d.uuid, what);
  if (uuid === CCCD) {
    throw new InvalidArgumentError(
      `${what}: BlueZ adds the CCCD (0x2902) itself; do not declare it`,
    );
  }
  if (uuid === EXTENDED_PROPERTIES) {
    throw new InvalidArgumentError(
      `${what}: BlueZ adds Extended Properties (0x2900) from the characteristic flags`,
    );
  }
  checkDescriptorFlags(d.flags, what);
  if (d.value !== undefined) checkValue(d.value, what);
  checkFn(d.onRead, `${what}.onRead`);
  checkFn(d.onWrite, `${what}.onWrite`);
  checkHandle(d.handle, what);
}

export function validateCharacteristic(c: CharacteristicDefinition, what: string): void {
  if (typeof c !== 'object' || c === null) throw new InvalidArgumentError(`${what}: not an object`);
  uuidOf(c.uuid, what);
  const flags = checkCharacteristicFlags(c.flags, what);
  if (c.value !== undefined) checkValue(c.value, what);
  checkFn(c.onRead, `${what}.onRead`);
  checkFn(c.onWrite, `${what}.onWrite`);
  checkHandle(c.handle, what);
  if (c.fastWrite && !flags.includes('write-without-response')) {
    throw new InvalidArgumentError(`${what}: fastWrite needs the 'write-without-response' flag`);
  }
  (c.descriptors ?? []).forEach((d, i) => validateDescriptor(d, `${what}.descriptors[${i}]`));
}

/** Throws InvalidArgumentError for anything BlueZ would refuse or silently mangle. */
export function validateService(s: ServiceDefinition, what = 'service'): void {
  if (typeof s !== 'object' || s === null) throw new InvalidArgumentError(`${what}: not an object`);
  const uuid = uuidOf(s.uuid, what);
  if (RESERVED_SERVICES.has(uuid)) {
    throw new InvalidArgumentError(`${what}: BlueZ serves GAP and GATT (0x1800/0x1801) itself`);
  }
  if (s.primary !== undefined && typeof s.primary !== 'boolean') {
    throw new InvalidArgumentError(`${what}: primary must be a boolean`);
  }
  checkHandle(s.handle, what);
  (s.characteristics ?? []).forEach((c, i) =>
    validateCharacteristic(c, `${what}.characteristics[${i}]`),
  );
}
