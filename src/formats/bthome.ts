import { createCipheriv, createDecipheriv } from 'node:crypto';
import {
  DecodeError,
  InvalidArgumentError,
  normalizeAddress,
  normalizeUuid,
  parseHex,
} from '../core/index.js';
import {
  BTHOME_OBJECTS,
  BUTTON_EVENTS,
  decimalsOf,
  DIMMER_EVENTS,
  type BthomeKind,
  type BthomeObject,
} from './bthome-objects.js';

/** The service data UUID BTHome advertises under (0xFCD2), normalized. */
export const BTHOME_UUID = normalizeUuid('fcd2');

const ENCRYPTED = 0x01;
const TRIGGER_BASED = 0x04;
const VERSION_2 = 2 << 5;
const MIC_LENGTH = 4;
const COUNTER_LENGTH = 4;

/** One decoded BTHome object: its id, name, kind, value and unit. */
export interface BthomeMeasurement {
  id: number;
  name: string;
  kind: BthomeKind;
  /** Sensors and info: a number (scaled); binary: boolean; button: event name; text: string;
   *  raw: hex; dimmer: { event, steps }; firmware_version: 'a.b.c(.d)'. */
  value: number | boolean | string | { event: string; steps: number };
  unit?: string;
}

/** A decoded BTHome v2 service-data payload (`decodeBthome`). */
export interface BthomePacket {
  version: 2;
  encrypted: boolean;
  triggerBased: boolean;
  /** The encryption counter, when encrypted. */
  counter?: number;
  /** True when the packet is encrypted and no bind key was given: measurements is empty. */
  locked?: boolean;
  measurements: BthomeMeasurement[];
  /** Set when decoding stopped at an object id this table does not know (its length is unknown):
   *  the measurements before it are kept. */
  unknownObjectId?: number;
}

/** What decrypting or encrypting a BTHome packet needs: the bind key and the advertiser address. */
export interface BthomeKeyOptions {
  /** The 16-byte AES key: bytes, or 32 hex digits. */
  bindKey?: Uint8Array | string;
  /** The advertiser's address, 'AA:BB:CC:DD:EE:FF': part of the nonce. */
  address?: string;
}

function keyBytes(key: Uint8Array | string): Buffer {
  const k = typeof key === 'string' ? parseHex(key) : Buffer.from(key);
  if (k.length !== 16)
    throw new InvalidArgumentError(`BTHome bind key must be 16 bytes, got ${k.length}`);
  return k;
}

/** Nonce: address as written (most significant byte first), UUID bytes on air, device info, counter. */
function nonce(address: string, info: number, counter: Buffer): Buffer {
  const mac = Buffer.from(normalizeAddress(address).replace(/:/g, ''), 'hex');
  return Buffer.concat([mac, Buffer.from([0xd2, 0xfc, info]), counter]);
}

function decrypt(data: Buffer, o: BthomeKeyOptions): { plain: Buffer; counter: number } {
  if (data.length < 1 + COUNTER_LENGTH + MIC_LENGTH) {
    throw new DecodeError(`encrypted BTHome data needs at least 9 bytes, got ${data.length}`, {
      offset: data.length,
    });
  }
  if (o.address === undefined)
    throw new InvalidArgumentError('decrypting BTHome needs the address');
  const end = data.length - MIC_LENGTH;
  const counterBytes = data.subarray(end - COUNTER_LENGTH, end);
  const decipher = createDecipheriv(
    'aes-128-ccm',
    keyBytes(o.bindKey as Uint8Array | string),
    nonce(o.address, data[0] as number, counterBytes),
    { authTagLength: MIC_LENGTH },
  );
  decipher.setAuthTag(data.subarray(end));
  const plain = decipher.update(data.subarray(1, end - COUNTER_LENGTH));
  try {
    decipher.final();
  } catch (e) {
    throw new DecodeError('BTHome message integrity check failed (wrong bind key or address?)', {
      cause: e,
      offset: end,
    });
  }
  return { plain, counter: counterBytes.readUInt32LE(0) };
}

function readInt(b: Buffer, at: number, size: number, signed: boolean): number {
  return signed ? b.readIntLE(at, size) : b.readUIntLE(at, size);
}

function valueOf(o: BthomeObject, b: Buffer, at: number): BthomeMeasurement['value'] {
  switch (o.kind) {
    case 'binary':
      return b[at] !== 0;
    case 'event':
      if (o.name === 'button') {
        const code = b[at] as number;
        return BUTTON_EVENTS[code] ?? `unknown_${code}`;
      }
      return {
        event: DIMMER_EVENTS[b[at] as number] ?? `unknown_${b[at]}`,
        steps: b[at + 1] as number,
      };
    case 'info':
      if (o.name === 'firmware_version') {
        return [...b.subarray(at, at + o.size)].reverse().join('.');
      }
      return readInt(b, at, o.size, false);
    default: {
      const raw = readInt(b, at, o.size, o.signed);
      return Number((raw * o.factor).toFixed(decimalsOf(o.factor)));
    }
  }
}

/** Decodes the objects of a plain (or decrypted) payload. */
function decodeObjects(b: Buffer, packet: BthomePacket): void {
  let i = 0;
  // Every iteration consumes at least one byte: bounded by the input length.
  while (i < b.length) {
    const id = b[i] as number;
    const o = BTHOME_OBJECTS.get(id);
    if (!o) {
      packet.unknownObjectId = id;
      return;
    }
    let size = o.size;
    let at = i + 1;
    if (o.kind === 'text' || o.kind === 'raw') {
      if (at >= b.length)
        throw new DecodeError(`BTHome object 0x${id.toString(16)} has no length`, { offset: at });
      size = b[at] as number;
      at += 1;
    }
    if (at + size > b.length) {
      throw new DecodeError(
        `BTHome object 0x${id.toString(16)} needs ${size} bytes at offset ${at}, have ${b.length - at}`,
        { offset: at },
      );
    }
    const m: BthomeMeasurement = { id, name: o.name, kind: o.kind, value: 0 };
    if (o.kind === 'text') m.value = new TextDecoder().decode(b.subarray(at, at + size));
    else if (o.kind === 'raw') m.value = b.subarray(at, at + size).toString('hex');
    else m.value = valueOf(o, b, at);
    if (o.unit !== undefined) m.unit = o.unit;
    packet.measurements.push(m);
    i = at + size;
  }
}

/**
 * Decodes BTHome v2 service data (the bytes after the 0xFCD2 UUID). Encrypted packets are
 * decrypted when `bindKey` and `address` are given, else returned with `locked: true`.
 * DecodeError for malformed bytes, another version, or a failed integrity check.
 */
export function decodeBthome(data: Uint8Array, options: BthomeKeyOptions = {}): BthomePacket {
  if (!(data instanceof Uint8Array)) throw new InvalidArgumentError('BTHome data must be bytes');
  const b = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (b.length < 1) throw new DecodeError('BTHome data is empty', { offset: 0 });
  const info = b[0] as number;
  const version = info >> 5;
  if (version !== 2)
    throw new DecodeError(`BTHome version ${version} is not supported (only 2)`, { offset: 0 });
  const packet: BthomePacket = {
    version: 2,
    encrypted: (info & ENCRYPTED) !== 0,
    triggerBased: (info & TRIGGER_BASED) !== 0,
    measurements: [],
  };
  if (!packet.encrypted) {
    decodeObjects(b.subarray(1), packet);
    return packet;
  }
  if (options.bindKey === undefined) {
    if (b.length < 1 + COUNTER_LENGTH + MIC_LENGTH) {
      throw new DecodeError(`encrypted BTHome data needs at least 9 bytes, got ${b.length}`, {
        offset: b.length,
      });
    }
    packet.counter = b.readUInt32LE(b.length - MIC_LENGTH - COUNTER_LENGTH);
    packet.locked = true;
    return packet;
  }
  const { plain, counter } = decrypt(b, options);
  packet.counter = counter;
  decodeObjects(plain, packet);
  return packet;
}

/** One value to encode: the object by name (its first id in the table) or id. */
export interface BthomeValue {
  object: string | number;
  value: number | boolean | string;
}

/** Options of `encodeBthome`: encryption (bind key, address, counter) and the trigger flag. */
export interface BthomeEncodeOptions extends BthomeKeyOptions {
  triggerBased?: boolean;
  /** Encryption counter (uint32); should grow with every advertisement. Needed with bindKey. */
  counter?: number;
}

function lookup(object: string | number): BthomeObject {
  const o =
    typeof object === 'number'
      ? BTHOME_OBJECTS.get(object)
      : [...BTHOME_OBJECTS.values()].find((x) => x.name === object);
  if (!o) throw new InvalidArgumentError(`unknown BTHome object ${JSON.stringify(object)}`);
  return o;
}

function encodeOne(o: BthomeObject, value: BthomeValue['value']): Buffer {
  const fail = (why: string): never => {
    throw new InvalidArgumentError(`BTHome ${o.name} (0x${o.id.toString(16)}): ${why}`);
  };
  if (o.kind === 'text' || o.kind === 'raw') {
    if (typeof value !== 'string') fail('expects a string');
    const bytes =
      o.kind === 'text'
        ? Buffer.from(value as string, 'utf8')
        : Buffer.from(value as string, 'hex');
    if (bytes.length > 255) fail('longer than 255 bytes');
    return Buffer.concat([Buffer.from([o.id, bytes.length]), bytes]);
  }
  if (o.kind === 'event' || o.name === 'firmware_version') fail('encoding is not supported');
  let raw: number;
  if (o.kind === 'binary') {
    if (typeof value !== 'boolean') fail('expects a boolean');
    raw = value ? 1 : 0;
  } else {
    if (typeof value !== 'number' || !Number.isFinite(value)) fail('expects a finite number');
    raw = Math.round((value as number) / o.factor);
  }
  const bits = 8 * o.size;
  const [min, max] = o.signed ? [-(2 ** (bits - 1)), 2 ** (bits - 1) - 1] : [0, 2 ** bits - 1];
  if (raw < min || raw > max) fail(`${String(value)} is out of range`);
  const out = Buffer.alloc(1 + o.size);
  out[0] = o.id;
  if (o.signed) out.writeIntLE(raw, 1, o.size);
  else out.writeUIntLE(raw, 1, o.size);
  return out;
}

/**
 * Encodes BTHome v2 service data (to advertise under BTHOME_UUID). Objects are written in id
 * order, as the format asks. With `bindKey`, `address` and `counter`, the payload is encrypted.
 */
export function encodeBthome(
  values: readonly BthomeValue[],
  options: BthomeEncodeOptions = {},
): Buffer {
  if (!Array.isArray(values)) throw new InvalidArgumentError('BTHome values must be an array');
  const encoded = values
    .map((v, i) => ({ o: lookup(v.object), v, i }))
    .sort((a, b) => a.o.id - b.o.id || a.i - b.i)
    .map(({ o, v }) => encodeOne(o, v.value));
  const plain = Buffer.concat(encoded);
  let info = VERSION_2 | (options.triggerBased ? TRIGGER_BASED : 0);
  if (options.bindKey === undefined) return Buffer.concat([Buffer.from([info]), plain]);
  info |= ENCRYPTED;
  const counter = options.counter;
  if (counter === undefined || !Number.isInteger(counter) || counter < 0 || counter > 0xffffffff) {
    throw new InvalidArgumentError('encrypting BTHome needs counter, an integer 0..2^32-1');
  }
  if (options.address === undefined)
    throw new InvalidArgumentError('encrypting BTHome needs the address');
  const counterBytes = Buffer.alloc(COUNTER_LENGTH);
  counterBytes.writeUInt32LE(counter, 0);
  const cipher = createCipheriv(
    'aes-128-ccm',
    keyBytes(options.bindKey),
    nonce(options.address, info, counterBytes),
    {
      authTagLength: MIC_LENGTH,
    },
  );
  const ciphertext = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([Buffer.from([info]), ciphertext, counterBytes, cipher.getAuthTag()]);
}
