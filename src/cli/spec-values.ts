import { z } from 'zod';
import { InvalidArgumentError, parseValue } from '../core/index.js';

/** Integer encodings a spec value may use (little-endian, as GATT sends them). */
const INT_FORMATS = {
  uint8: [1, 0, 0xff],
  uint16: [2, 0, 0xffff],
  uint32: [4, 0, 0xffffffff],
  int8: [1, -0x80, 0x7f],
  int16: [2, -0x8000, 0x7fff],
  int32: [4, -0x80000000, 0x7fffffff],
} as const;

export type IntFormat = keyof typeof INT_FORMATS;
export const INT_FORMAT_NAMES = Object.keys(INT_FORMATS) as IntFormat[];

export function encodeInt(format: IntFormat, n: number): Buffer {
  const [size, min, max] = INT_FORMATS[format];
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new InvalidArgumentError(`${format} must be an integer ${min}..${max}, got ${n}`);
  }
  const b = Buffer.alloc(size);
  if (min < 0) b.writeIntLE(n, 0, size);
  else b.writeUIntLE(n, 0, size);
  return b;
}

/**
 * A value in a serve spec:
 *   "text"                 UTF-8
 *   {hex: "0102"} {utf8: "x"} {base64: "AQI="}
 *   {uint8: 5} {uint16: 5} {uint32: 5} {int8: -1} {int16: -1} {int32: -1}   little-endian
 *   [value, value, ...]    the parts one after another
 */
export type SpecValue = string | Record<string, string | number> | SpecValue[];

function oneValue(v: unknown, ctx: z.RefinementCtx): Buffer | undefined {
  const issue = (message: string): undefined => {
    ctx.addIssue({ code: 'custom', message });
    return undefined;
  };
  if (typeof v === 'string') return Buffer.from(v, 'utf8');
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    return issue('a value is a string, {hex|utf8|base64|uint8..int32: ...} or a list of those');
  }
  const keys = Object.keys(v);
  if (keys.length !== 1) return issue(`a value object has exactly one key, got ${keys.length}`);
  const key = keys[0] as string;
  const x = (v as Record<string, unknown>)[key];
  try {
    if (key === 'hex' || key === 'utf8' || key === 'base64') {
      if (typeof x !== 'string') return issue(`${key} needs a string`);
      return parseValue(x, key);
    }
    if (key in INT_FORMATS) {
      if (typeof x !== 'number') return issue(`${key} needs a number`);
      return encodeInt(key as IntFormat, x);
    }
  } catch (e) {
    return issue((e as Error).message);
  }
  return issue(`unknown value kind "${key}" (hex, utf8, base64, ${INT_FORMAT_NAMES.join(', ')})`);
}

/** The zod type of a spec value; parses to the bytes. */
export const specValue = z.unknown().transform((v, ctx): Buffer => {
  if (Array.isArray(v)) {
    const parts: Buffer[] = [];
    for (const p of v) {
      const b = oneValue(p, ctx);
      if (!b) return z.NEVER;
      parts.push(b);
    }
    return Buffer.concat(parts);
  }
  return oneValue(v, ctx) ?? z.NEVER;
});
