import { DecodeError, InvalidArgumentError } from '../core/index.js';

/** Apple's company identifier: iBeacons are its manufacturer data. */
export const APPLE_COMPANY_ID = 0x004c;

/** A decoded iBeacon: proximity UUID, major, minor and calibrated TX power. */
export interface IBeacon {
  /** Proximity UUID, lowercase and dashed. */
  uuid: string;
  major: number;
  minor: number;
  /** Calibrated RSSI at 1 m (dBm). */
  measuredPower: number;
}

/** Whether Apple manufacturer data (without the company id) claims to be an iBeacon. */
export function isIBeacon(data: Uint8Array): boolean {
  return data.length >= 2 && data[0] === 0x02 && data[1] === 0x15;
}

/**
 * Decodes an iBeacon from Apple's manufacturer data (the bytes after the 0x004C company id):
 * type 0x02, length 0x15, 16-byte UUID, major and minor (big-endian), measured power (int8).
 */
export function decodeIBeacon(data: Uint8Array): IBeacon {
  if (!(data instanceof Uint8Array)) throw new InvalidArgumentError('iBeacon data must be bytes');
  if (!isIBeacon(data)) throw new DecodeError('not an iBeacon (expected 02 15)', { offset: 0 });
  if (data.length !== 23) {
    throw new DecodeError(`iBeacon data must be 23 bytes, got ${data.length}`, {
      offset: data.length,
    });
  }
  const b = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const hex = b.subarray(2, 18).toString('hex');
  return {
    uuid: `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`,
    major: b.readUInt16BE(18),
    minor: b.readUInt16BE(20),
    measuredPower: b.readInt8(22),
  };
}
