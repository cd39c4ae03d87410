import { InvalidArgumentError, LEGACY_AD_MAX_LENGTH } from '../core/index.js';
import {
  BTHOME_UUID,
  encodeBthome,
  type BthomeEncodeOptions,
  type BthomeValue,
} from '../formats/index.js';
import type { AdvertisementOptions } from '../bluez/advertising.js';

/** Options of `bthomeAdvertisement`: BTHome encoding plus the local name and connectability. */
export interface BthomeAdvertisementOptions extends BthomeEncodeOptions {
  localName?: string;
  /** Accept connections while advertising ('peripheral'); default false ('broadcast'), as
   *  sensors do. */
  connectable?: boolean;
}

/**
 * Advertising options that carry sensor values as BTHome v2 service data, for
 * `peripheral.advertise()`. To change the values, stop the advertisement and advertise the new
 * options (with a bind key, a larger counter each time). InvalidArgumentError when the values,
 * with the flags and the name, do not fit a legacy advertisement (31 bytes).
 */
export function bthomeAdvertisement(
  values: readonly BthomeValue[],
  options: BthomeAdvertisementOptions = {},
): AdvertisementOptions {
  const { localName, connectable, ...encode } = options;
  const data = encodeBthome(values, encode);
  // Flags (3 bytes, BlueZ adds them), service data header (4), the name's header (2).
  const size =
    3 + 4 + data.length + (localName !== undefined ? 2 + Buffer.byteLength(localName) : 0);
  if (size > LEGACY_AD_MAX_LENGTH) {
    throw new InvalidArgumentError(
      `BTHome advertisement needs ${size} bytes, more than ${LEGACY_AD_MAX_LENGTH}: fewer values or a shorter name`,
    );
  }
  return {
    type: connectable ? 'peripheral' : 'broadcast',
    serviceData: new Map([[BTHOME_UUID, data]]),
    ...(localName !== undefined ? { localName } : {}),
  };
}
