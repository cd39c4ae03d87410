import { InvalidArgumentError } from '../core/errors.js';
import { describeValue } from '../core/describe.js';

/** Characteristic Properties bits of a characteristic declaration (Core Vol 3 Part G 3.3.1.1). */
export const CharacteristicPropertyBit = {
  Broadcast: 0x01,
  Read: 0x02,
  WriteWithoutResponse: 0x04,
  Write: 0x08,
  Notify: 0x10,
  Indicate: 0x20,
  AuthenticatedSignedWrites: 0x40,
  ExtendedProperties: 0x80,
} as const;

/** Bits of the Characteristic Extended Properties descriptor (0x2900). */
export const ExtendedPropertyBit = {
  ReliableWrite: 0x0001,
  WritableAuxiliaries: 0x0002,
} as const;

/** Client Characteristic Configuration (0x2902) values. */
export const CccdValue = {
  None: 0x0000,
  Notify: 0x0001,
  Indicate: 0x0002,
} as const;

/**
 * Characteristic flags as BlueZ's org.bluez.GattCharacteristic1 names them; the same words are
 * used across blekit so every backend reports properties alike. The encrypt-, secure- and
 * authorize flags are access requirements a server sets; they imply the matching property.
 */
export const CHARACTERISTIC_FLAGS = [
  'broadcast',
  'read',
  'write-without-response',
  'write',
  'notify',
  'indicate',
  'authenticated-signed-writes',
  'extended-properties',
  'reliable-write',
  'writable-auxiliaries',
  'encrypt-read',
  'encrypt-write',
  'encrypt-notify',
  'encrypt-indicate',
  'encrypt-authenticated-read',
  'encrypt-authenticated-write',
  'encrypt-authenticated-notify',
  'encrypt-authenticated-indicate',
  'secure-read',
  'secure-write',
  'secure-notify',
  'secure-indicate',
  'authorize',
] as const;

/** A characteristic flag as BlueZ names it ('read', 'notify', 'encrypt-write'...). */
export type CharacteristicFlag = (typeof CHARACTERISTIC_FLAGS)[number];

const B = CharacteristicPropertyBit;

/** Property bits each flag implies (0 for flags that only add a requirement). */
const FLAG_BITS: Record<CharacteristicFlag, number> = {
  broadcast: B.Broadcast,
  read: B.Read,
  'write-without-response': B.WriteWithoutResponse,
  write: B.Write,
  notify: B.Notify,
  indicate: B.Indicate,
  'authenticated-signed-writes': B.AuthenticatedSignedWrites,
  'extended-properties': B.ExtendedProperties,
  'reliable-write': B.ExtendedProperties,
  'writable-auxiliaries': B.ExtendedProperties,
  'encrypt-read': B.Read,
  'encrypt-write': B.Write,
  'encrypt-notify': B.Notify,
  'encrypt-indicate': B.Indicate,
  'encrypt-authenticated-read': B.Read,
  'encrypt-authenticated-write': B.Write,
  'encrypt-authenticated-notify': B.Notify,
  'encrypt-authenticated-indicate': B.Indicate,
  'secure-read': B.Read,
  'secure-write': B.Write,
  'secure-notify': B.Notify,
  'secure-indicate': B.Indicate,
  authorize: 0,
};

/** True for a name in CHARACTERISTIC_FLAGS. */
export function isCharacteristicFlag(s: unknown): s is CharacteristicFlag {
  return typeof s === 'string' && (CHARACTERISTIC_FLAGS as readonly string[]).includes(s);
}

/**
 * Flags for a characteristic declaration's properties byte (and, when known, the value of its
 * Extended Properties descriptor), in the order BlueZ lists them.
 */
export function propertiesToFlags(properties: number, extended = 0): CharacteristicFlag[] {
  if (!Number.isInteger(properties) || properties < 0 || properties > 0xff) {
    throw new InvalidArgumentError(
      `Characteristic properties must be a byte: ${describeValue(properties)}`,
    );
  }
  if (!Number.isInteger(extended) || extended < 0 || extended > 0xffff) {
    throw new InvalidArgumentError(
      `Extended properties must be 16-bit: ${describeValue(extended)}`,
    );
  }
  const out: CharacteristicFlag[] = [];
  const basic = CHARACTERISTIC_FLAGS.slice(0, 8);
  basic.forEach((flag, bit) => {
    if (properties & (1 << bit)) out.push(flag);
  });
  if (extended & ExtendedPropertyBit.ReliableWrite) out.push('reliable-write');
  if (extended & ExtendedPropertyBit.WritableAuxiliaries) out.push('writable-auxiliaries');
  return out;
}

/** Properties byte that a set of flags produces; InvalidArgumentError for an unknown flag. */
export function flagsToProperties(flags: readonly string[]): number {
  if (!Array.isArray(flags))
    throw new InvalidArgumentError('Characteristic flags must be an array');
  let props = 0;
  for (const f of flags) {
    if (!isCharacteristicFlag(f))
      throw new InvalidArgumentError(`Unknown characteristic flag: ${describeValue(f)}`);
    props |= FLAG_BITS[f];
  }
  return props;
}
