import type { CharacteristicRef } from '../central/index.js';
import { InvalidArgumentError, isUuid, normalizeUuid, validateHandle } from '../core/index.js';
import { describeValue } from '../core/describe.js';

/**
 * What `read`, `write` and `notify` address, as typed on the command line:
 *   0x002a           a value (or declaration) handle: 0x and 1-4 hex digits
 *   2a19, 0000180d, 6e400001-b5a3-f393-e0a9-e50e24dcca9e   a characteristic UUID
 *   180d/2a37        a characteristic UUID within a service (when the UUID repeats)
 * A 0x prefix always means a handle here, so UUIDs are written without it.
 */
export function parseTarget(text: string): CharacteristicRef {
  const s = text.trim();
  if (/^0x[0-9a-f]+$/i.test(s)) return { handle: validateHandle(s) };
  const slash = s.indexOf('/');
  if (slash > 0) {
    const service = s.slice(0, slash);
    const characteristic = s.slice(slash + 1);
    if (isUuid(service) && isUuid(characteristic)) {
      return { service: normalizeUuid(service), characteristic: normalizeUuid(characteristic) };
    }
  } else if (isUuid(s)) {
    return normalizeUuid(s);
  }
  throw new InvalidArgumentError(
    `Invalid characteristic ${describeValue(text)}: give a UUID (2a19, 128-bit), SERVICE/CHAR, or a handle (0x002a)`,
  );
}

/** The UUID a reference names, when it names one (to pick a decoder before reading). */
export function targetUuid(ref: CharacteristicRef): string | undefined {
  if (typeof ref === 'string') return ref;
  if (typeof ref === 'object' && 'characteristic' in ref) return normalizeUuid(ref.characteristic);
  return undefined;
}
