/** How many characters of a caller's value an error message may quote. */
export const MAX_ECHO_CHARS = 64;

// 10^64: larger bigints are summarised, since their decimal form is long and slow to build.
const BIG = 10n ** 64n;

function quoteCapped(s: string): string {
  if (s.length <= MAX_ECHO_CHARS) return JSON.stringify(s);
  return `${JSON.stringify(s.slice(0, MAX_ECHO_CHARS))}…(${s.length} chars)`;
}

function render(value: unknown, depth = 0): string {
  switch (typeof value) {
    case 'string':
      return quoteCapped(value);
    case 'number':
    case 'boolean':
    case 'undefined':
      return String(value);
    case 'bigint':
      return value >= BIG || value <= -BIG ? '<bigint over 64 digits>' : `${value.toString()}n`;
    case 'symbol':
      return `Symbol(${quoteCapped(value.description ?? '')})`;
    case 'function':
      return '<function>';
    default:
      break;
  }
  if (value === null) return 'null';
  if (Array.isArray(value)) return `<array of ${value.length}>`;
  const proto: unknown = Object.getPrototypeOf(value);
  if (depth === 0 && (proto === Object.prototype || proto === null)) {
    // A plain object such as { handle: 'x' }: its first few keys, one level deep.
    const obj = value as Record<string, unknown>;
    const all = Object.keys(obj);
    const parts = all.slice(0, 4).map((k) => `${quoteCapped(k)}: ${render(obj[k], 1)}`);
    if (all.length > 4) parts.push('…');
    return `{${parts.join(', ')}}`;
  }
  if (ArrayBuffer.isView(value))
    return `<${String(value.constructor.name).slice(0, MAX_ECHO_CHARS)} of ${value.byteLength} bytes>`;
  // Object.prototype.toString reads only Symbol.toStringTag, never the value's own toString.
  return `<${Object.prototype.toString.call(value).slice(8, -1).slice(0, MAX_ECHO_CHARS)}>`;
}

/**
 * A short, safe rendering of any value for an error message: never throws (whatever the value's
 * toString, getters or proxy traps do) and never quotes more than MAX_ECHO_CHARS of it, so a
 * hostile argument cannot turn a validation error into a TypeError or a megabyte-long line.
 */
export function describeValue(value: unknown): string {
  try {
    return render(value, 0);
  } catch {
    return '<unprintable value>';
  }
}
