import { Option, type Command } from 'commander';
import type { CharacteristicInfo } from '../central/index.js';
import { formatValue, parseValue, uuidName, type ValueFormat } from '../core/index.js';
import { tryDecode } from '../protocol/index.js';

export interface FormatFlags {
  hex?: boolean;
  utf8?: boolean;
  base64?: boolean;
}

/** Adds --hex / --utf8 / --base64 (mutually exclusive). */
export function addFormatOptions(cmd: Command, verb: string): Command {
  return cmd
    .addOption(new Option('--hex', `${verb} hex (the default)`).conflicts(['utf8', 'base64']))
    .addOption(new Option('--utf8', `${verb} UTF-8 text`).conflicts(['hex', 'base64']))
    .addOption(new Option('--base64', `${verb} base64`).conflicts(['hex', 'utf8']));
}

/** The format the flags ask for, and whether one was asked for at all. */
export function chosenFormat(f: FormatFlags): { format: ValueFormat; explicit: boolean } {
  if (f.utf8) return { format: 'utf8', explicit: true };
  if (f.base64) return { format: 'base64', explicit: true };
  return { format: 'hex', explicit: f.hex === true };
}

/** A value as reported by read and notify: hex always, the chosen format, the SIG decoding. */
export function valueRecord(
  c: CharacteristicInfo,
  value: Buffer,
  format: ValueFormat,
): Record<string, unknown> {
  const rec: Record<string, unknown> = {
    uuid: c.uuid,
    name: uuidName(c.uuid) ?? null,
    handle: c.valueHandle,
    hex: formatValue(value, 'hex'),
  };
  if (format !== 'hex') rec[format] = formatValue(value, format);
  const { decoded, decodeError } = tryDecode(c.uuid, value);
  if (decoded) rec.decoded = decoded;
  if (decodeError) rec.decodeError = decodeError;
  return rec;
}

/** Human form: the value in its format, then `(Format: text)` unless a format was asked for. */
export function valueText(
  c: CharacteristicInfo,
  value: Buffer,
  format: ValueFormat,
  explicit: boolean,
): string {
  const shown = formatValue(value, format);
  if (explicit) return shown;
  const { decoded, decodeError } = tryDecode(c.uuid, value);
  if (decoded) return `${shown}  (${decoded.format}: ${decoded.text})`;
  if (decodeError) return `${shown}  (not a valid ${uuidName(c.uuid) ?? 'value'}: ${decodeError})`;
  return shown;
}

/** Parses the value argument of write (before any I/O). */
export function parseWriteValue(text: string, f: FormatFlags): Buffer {
  return parseValue(text, chosenFormat(f).format);
}
