import { DecodeError, InvalidArgumentError, normalizeUuid } from '../core/index.js';

/** The service data UUID Eddystone frames are advertised under (0xFEAA), normalized. */
export const EDDYSTONE_UUID = normalizeUuid('feaa');

/** An Eddystone-UID frame: a 10-byte namespace and 6-byte instance, as hex. */
export interface EddystoneUid {
  frame: 'uid';
  /** Calibrated TX power at 0 m (dBm). */
  txPower: number;
  namespace: string;
  instance: string;
}

/** An Eddystone-URL frame, with the URL expanded from its compressed scheme and suffixes. */
export interface EddystoneUrl {
  frame: 'url';
  txPower: number;
  url: string;
}

/** An Eddystone-TLM (telemetry) frame: battery, temperature, counts and uptime. */
export interface EddystoneTlm {
  frame: 'tlm';
  /** Version 0 is plain telemetry; version 1 (encrypted) carries `encrypted` hex only. */
  version: number;
  /** Battery voltage in mV (0: not reported). */
  batteryMv?: number;
  /** °C, or null when the beacon reports none (0x8000). */
  temperature?: number | null;
  advertisementCount?: number;
  /** Seconds since power-on (0.1 s resolution). */
  uptimeSeconds?: number;
  encrypted?: string;
}

/** Any decoded Eddystone frame, told apart by `frame`. */
export type Eddystone = EddystoneUid | EddystoneUrl | EddystoneTlm;

const SCHEMES = ['http://www.', 'https://www.', 'http://', 'https://'];
const EXPANSIONS = [
  '.com/',
  '.org/',
  '.edu/',
  '.net/',
  '.info/',
  '.biz/',
  '.gov/',
  '.com',
  '.org',
  '.edu',
  '.net',
  '.info',
  '.biz',
  '.gov',
];

function need(b: Buffer, lengths: number[], what: string): void {
  if (!lengths.includes(b.length)) {
    throw new DecodeError(
      `Eddystone ${what} frame must be ${lengths.join(' or ')} bytes, got ${b.length}`,
      {
        offset: b.length,
      },
    );
  }
}

function decodeUrl(b: Buffer): EddystoneUrl {
  if (b.length < 3 || b.length > 20) {
    throw new DecodeError(`Eddystone URL frame must be 3..20 bytes, got ${b.length}`, {
      offset: b.length,
    });
  }
  const scheme = SCHEMES[b[2] as number];
  if (scheme === undefined)
    throw new DecodeError(`Eddystone URL scheme 0x${b[2]?.toString(16)} is reserved`, {
      offset: 2,
    });
  let url = scheme;
  for (let i = 3; i < b.length; i++) {
    const c = b[i] as number;
    const expansion = EXPANSIONS[c];
    if (expansion !== undefined) url += expansion;
    else if (c > 0x20 && c < 0x7f) url += String.fromCharCode(c);
    else throw new DecodeError(`Eddystone URL byte 0x${c.toString(16)} is reserved`, { offset: i });
  }
  return { frame: 'url', txPower: b.readInt8(1), url };
}

function decodeTlm(b: Buffer): EddystoneTlm {
  if (b.length < 2)
    throw new DecodeError('Eddystone TLM frame has no version', { offset: b.length });
  const version = b[1] as number;
  if (version === 1) {
    need(b, [18], 'encrypted TLM');
    return { frame: 'tlm', version, encrypted: b.subarray(2).toString('hex') };
  }
  if (version !== 0)
    throw new DecodeError(`Eddystone TLM version ${version} is unknown`, { offset: 1 });
  need(b, [14], 'TLM');
  const rawTemp = b.readInt16BE(4);
  return {
    frame: 'tlm',
    version,
    batteryMv: b.readUInt16BE(2),
    // 8.8 fixed point; 0x8000 means the beacon has no sensor.
    temperature: rawTemp === -0x8000 ? null : rawTemp / 256,
    advertisementCount: b.readUInt32BE(6),
    uptimeSeconds: b.readUInt32BE(10) / 10,
  };
}

/**
 * Decodes an Eddystone frame (the service data under 0xFEAA): UID, URL or TLM. DecodeError for
 * other frame types (EID) and malformed frames.
 */
export function decodeEddystone(data: Uint8Array): Eddystone {
  if (!(data instanceof Uint8Array)) throw new InvalidArgumentError('Eddystone data must be bytes');
  const b = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (b.length < 1) throw new DecodeError('Eddystone frame is empty', { offset: 0 });
  switch (b[0]) {
    case 0x00:
      // The last two bytes are reserved and often left out.
      need(b, [18, 20], 'UID');
      return {
        frame: 'uid',
        txPower: b.readInt8(1),
        namespace: b.subarray(2, 12).toString('hex'),
        instance: b.subarray(12, 18).toString('hex'),
      };
    case 0x10:
      return decodeUrl(b);
    case 0x20:
      return decodeTlm(b);
    default:
      throw new DecodeError(`Eddystone frame type 0x${b[0]?.toString(16)} is not supported`, {
        offset: 0,
      });
  }
}
