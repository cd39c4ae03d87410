import type { ScanResult } from '../central/index.js';
import { DecodeError, normalizeAddress, shortUuid, uuidAlias } from '../core/index.js';
import { decodeValue, type DecodedValue as Decoded } from '../protocol/index.js';
import {
  APPLE_COMPANY_ID,
  BTHOME_UUID,
  decodeBthome,
  decodeEddystone,
  decodeIBeacon,
  EDDYSTONE_UUID,
  isIBeacon,
  type BthomePacket,
  type Eddystone,
  type IBeacon,
} from '../formats/index.js';

/** What the gateway could decode from one advertisement, format by format. */
export interface DecodedAdvertisement {
  bthome?: BthomePacket;
  ibeacon?: IBeacon;
  eddystone?: Eddystone;
  /** SIG service data blekit knows the format of, by 16-bit UUID ('2a6e'). */
  serviceData: Record<string, Decoded>;
  /** Formats that were present but malformed: format name → reason. */
  errors: Record<string, string>;
}

function attempt(errors: Record<string, string>, format: string, fn: () => void): void {
  try {
    fn();
  } catch (e) {
    // Anything else is a bug, not a hostile advertiser: let it surface.
    if (!(e instanceof DecodeError)) throw e;
    errors[format] = e.message;
  }
}

/**
 * Decodes the open formats in a scan report. Malformed payloads end up in `errors`; a
 * BTHome bind key (16 bytes or 32 hex digits) decrypts that device's packets.
 */
export function decodeAdvertisement(
  r: ScanResult,
  bindKey?: Uint8Array | string,
): DecodedAdvertisement {
  const out: DecodedAdvertisement = { serviceData: {}, errors: {} };
  const ad = r.advertisement;
  for (const [uuid, data] of ad.serviceData) {
    if (uuid === BTHOME_UUID) {
      attempt(out.errors, 'bthome', () => {
        out.bthome = decodeBthome(
          data,
          bindKey === undefined ? {} : { bindKey, address: normalizeAddress(r.address) },
        );
      });
    } else if (uuid === EDDYSTONE_UUID) {
      attempt(out.errors, 'eddystone', () => (out.eddystone = decodeEddystone(data)));
    } else if (uuidAlias(uuid) !== undefined) {
      attempt(out.errors, `service-data/${shortUuid(uuid)}`, () => {
        const d = decodeValue(uuid, data);
        if (d) out.serviceData[shortUuid(uuid)] = d;
      });
    }
  }
  const apple = ad.manufacturerData.get(APPLE_COMPANY_ID);
  if (apple && isIBeacon(apple)) {
    attempt(out.errors, 'ibeacon', () => (out.ibeacon = decodeIBeacon(apple)));
  }
  return out;
}

/** BTHome measurements as one flat object: name → value; repeats get _2, _3 (two buttons). */
export function bthomeValues(p: BthomePacket): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const m of p.measurements) {
    let key = m.name;
    for (let n = 2; key in values; n++) key = `${m.name}_${n}`;
    values[key] = m.value;
  }
  return values;
}
