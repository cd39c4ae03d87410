/**
 * Command parameters from command-line text: `--name value` pairs (kebab or camel case) and/or
 * one JSON object, converted by each field's type so the CLI needs no per-command code.
 */
import { parseHex } from '../core/bytes.js';
import { InvalidArgumentError } from '../core/errors.js';
import type { FieldSpec } from '../mgmt/fields.js';
import { commandSpec } from '../mgmt/frame.js';

const camel = (s: string): string => s.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());

function number(text: string, what: string): number {
  const t = text.trim();
  const n = /^-?0x[0-9a-f]+$/i.test(t)
    ? Number.parseInt(t, 16)
    : /^-?\d+$/.test(t)
      ? Number(t)
      : NaN;
  if (!Number.isSafeInteger(n))
    throw new InvalidArgumentError(`${what}: not an integer: "${text}"`);
  return n;
}

function json(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new InvalidArgumentError(`${what}: not valid JSON: ${text}`);
  }
}

/** JSON-ish values into what the encoder takes: hex strings to bytes, for nested fields too. */
function fromJson(f: FieldSpec, v: unknown, what: string): unknown {
  if (typeof v === 'string' && (f.type === 'bytes' || f.type === 'var' || f.type === 'rest'))
    return parseHex(v);
  if (typeof v === 'boolean' && f.type !== 'u8' && f.type !== 'u16') return v;
  if (f.type === 'list' && Array.isArray(v)) {
    const scalar = f.item.length === 1;
    return v.map((x, k) =>
      scalar
        ? fromJson(f.item[0] as FieldSpec, x, `${what}[${k}]`)
        : objectFromJson(f.item, x, `${what}[${k}]`),
    );
  }
  if (f.type === 'struct') return objectFromJson(f.fields, v, what);
  if (typeof v === 'string' && /^(u8|u16|u24|u32|i8)$/.test(f.type)) return fromText(f, v, what);
  return v;
}

function objectFromJson(fields: readonly FieldSpec[], v: unknown, what: string): unknown {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    const f = fields.find((g) => g.name === k);
    out[k] = f ? fromJson(f, x, `${what}.${k}`) : x;
  }
  return out;
}

/** One `--name value` into the field's value. */
function fromText(f: FieldSpec, text: string, what: string): unknown {
  switch (f.type) {
    case 'u8':
    case 'u16':
      if (/^(true|on|yes)$/i.test(text)) return 1;
      if (/^(false|off|no)$/i.test(text)) return 0;
      return number(text, what);
    case 'u24':
    case 'u32':
    case 'i8':
      return number(text, what);
    case 'flags':
      if (/^(0x)?[0-9a-f]+$/i.test(text) && /^\d|^0x/i.test(text)) return number(text, what);
      return text === '' ? [] : text.split(',').map((s) => s.trim());
    case 'bytes':
    case 'var':
    case 'rest':
      if (f.type !== 'bytes' && f.ad && text.trim().startsWith('{')) return json(text, what);
      return parseHex(text);
    case 'list':
    case 'struct':
      return fromJson(f, json(text, what), what);
    default:
      return text;
  }
}

/**
 * Parameters for `command` from CLI tokens: an optional JSON object and `--name value` pairs
 * (later ones win). InvalidArgumentError for unknown names or unreadable values.
 */
export function parseCliParams(
  command: string,
  tokens: readonly string[],
): Record<string, unknown> {
  const spec = commandSpec(command);
  const fields = spec.params.filter((f) => f.type !== 'len' && f.type !== 'count');
  let out: Record<string, unknown> = {};
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i] as string;
    if (tok.startsWith('{')) {
      const obj = json(tok, command);
      if (typeof obj !== 'object' || obj === null || Array.isArray(obj))
        throw new InvalidArgumentError(`${command}: the JSON parameters must be an object`);
      out = { ...out, ...(objectFromJson(fields, obj, command) as Record<string, unknown>) };
      continue;
    }
    const m = /^--([a-zA-Z][\w-]*)(?:=(.*))?$/.exec(tok);
    if (!m) throw new InvalidArgumentError(`${command}: unexpected argument "${tok}"`);
    const name = camel(m[1] as string);
    const f = fields.find((g) => g.name === name);
    if (!f) {
      const known = fields.map(
        (g) => `--${g.name.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())}`,
      );
      throw new InvalidArgumentError(
        `${command} has no parameter "${m[1]}" (parameters: ${known.join(' ') || 'none'})`,
      );
    }
    let value = m[2];
    if (value === undefined) {
      value = tokens[++i];
      if (value === undefined)
        throw new InvalidArgumentError(`${command}: --${m[1]} needs a value`);
    }
    out[name] = fromText(f, value, `${command}.${name}`);
  }
  return out;
}
