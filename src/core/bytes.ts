import { InvalidArgumentError } from './errors.js';
import { describeValue } from './describe.js';

/** How a value is written as text (CLI arguments, logs, JSON output). */
export type ValueFormat = 'hex' | 'utf8' | 'base64';

const SEPARATORS = /[\s:-]+/;

/**
 * Bytes from hex text: 'dead', 'de ad', 'de:ad', 'de-ad', '0xdead', '0xde 0xad' (any case).
 * Each separated group must have an even number of digits. InvalidArgumentError otherwise.
 */
export function parseHex(s: string): Buffer {
  if (typeof s !== 'string') throw new InvalidArgumentError('Hex input must be a string');
  const text = s.trim();
  if (text === '' || /^0x$/i.test(text)) return Buffer.alloc(0);
  // Each group may carry its own 0x, as in '0xde 0xad'.
  const groups = text.split(SEPARATORS).map((g) => (/^0x./i.test(g) ? g.slice(2) : g));
  for (const g of groups) {
    if (!/^[0-9a-f]*$/i.test(g)) throw new InvalidArgumentError(`Invalid hex: ${describeValue(s)}`);
    if (g.length % 2 !== 0) {
      throw new InvalidArgumentError(`Hex has an odd number of digits: ${describeValue(s)}`);
    }
  }
  return Buffer.from(groups.join(''), 'hex');
}

/** Lowercase hex of the bytes, with `sep` between bytes (default none). */
export function toHex(buf: Uint8Array, sep = ''): string {
  if (!(buf instanceof Uint8Array)) throw new InvalidArgumentError('toHex needs a Uint8Array');
  const hex = Buffer.from(buf.buffer, buf.byteOffset, buf.length).toString('hex');
  if (sep === '') return hex;
  return hex.replace(/(..)(?!$)/g, `$1${sep}`);
}

const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}(?:==)?|[A-Za-z0-9+/]{3}=?)?$/;

/** Bytes from text in the given format. Base64 is checked strictly (padding optional). */
export function parseValue(text: string, format: ValueFormat): Buffer {
  if (typeof text !== 'string') throw new InvalidArgumentError('Value text must be a string');
  switch (format) {
    case 'hex':
      return parseHex(text);
    case 'utf8':
      return Buffer.from(text, 'utf8');
    case 'base64':
      if (!BASE64_RE.test(text))
        throw new InvalidArgumentError(`Invalid base64: ${describeValue(text)}`);
      return Buffer.from(text, 'base64');
    default:
      throw new InvalidArgumentError(`Unknown value format: ${describeValue(format)}`);
  }
}

/** Text of the bytes in the given format (hex without separators, utf8, padded base64). */
export function formatValue(buf: Uint8Array, format: ValueFormat): string {
  if (!(buf instanceof Uint8Array))
    throw new InvalidArgumentError('formatValue needs a Uint8Array');
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.length);
  switch (format) {
    case 'hex':
      return b.toString('hex');
    case 'utf8':
      return b.toString('utf8');
    case 'base64':
      return b.toString('base64');
    default:
      throw new InvalidArgumentError(`Unknown value format: ${describeValue(format)}`);
  }
}

/** What write APIs accept as a value. Strings are UTF-8. */
export type BytesLike = Uint8Array | number[] | string;

/**
 * A fresh Buffer from a value given to a write API (never aliases the caller's memory, so
 * later changes by the caller cannot alter a queued write). Numbers must be integers 0..255.
 */
export function toBuffer(value: BytesLike): Buffer {
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  if (value instanceof Uint8Array) return Buffer.from(value);
  if (Array.isArray(value)) {
    value.forEach((n, i) => {
      if (!Number.isInteger(n) || n < 0 || n > 255) {
        throw new InvalidArgumentError(`Byte ${i} is not an integer 0..255: ${describeValue(n)}`);
      }
    });
    return Buffer.from(value);
  }
  throw new InvalidArgumentError('Value must be a Buffer, Uint8Array, byte array or string');
}
