import { InvalidArgumentError } from './errors.js';
import { describeValue } from './describe.js';

/**
 * An ATT handle as a number in 0x0001..0xFFFF. Accepts numbers and strings in hex
 * ('0x002a') or decimal ('42'); InvalidArgumentError for anything else (including 0).
 */
export function validateHandle(h: number | string): number {
  let n: number;
  if (typeof h === 'number') n = h;
  else if (typeof h === 'string' && /^0x[0-9a-f]{1,4}$/i.test(h)) n = parseInt(h.slice(2), 16);
  else if (typeof h === 'string' && /^[0-9]{1,5}$/.test(h)) n = parseInt(h, 10);
  else n = NaN;
  if (!Number.isInteger(n) || n < 0x0001 || n > 0xffff) {
    throw new InvalidArgumentError(
      `Invalid ATT handle (must be 0x0001..0xffff): ${describeValue(h)}`,
    );
  }
  return n;
}

/** '0x002a' form used in logs and CLI output. */
export function formatHandle(h: number): string {
  return '0x' + validateHandle(h).toString(16).padStart(4, '0');
}
