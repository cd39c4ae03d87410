import type { CharacteristicRef } from '../central/index.js';
import { InvalidArgumentError, isAddress, normalizeAddress, parseHex } from '../core/index.js';
import { parseTarget } from '../cli/target.js';

/** What a command over MQTT may ask for (README "Gateway commands"). */
export const COMMAND_NAMES = [
  'connect',
  'discover',
  'read',
  'write',
  'subscribe',
  'unsubscribe',
  'disconnect',
] as const;
export type CommandName = (typeof COMMAND_NAMES)[number];

/** A command payload, validated. */
export interface GatewayCommand {
  command: CommandName;
  address: string;
  /** read, write, subscribe, unsubscribe: as the CLI takes it (2a19, 180d/2a37, 0x002a). */
  characteristic?: CharacteristicRef;
  /** The text form of `characteristic`, for the notification topic and replies. */
  target?: string;
  /** write: the bytes. */
  value?: Buffer;
  withoutResponse?: boolean;
  addressType?: 'public' | 'random';
  timeoutMs?: number;
  /** MQTT 3.1.1 (no properties): where to answer, and what to echo, taken from the payload. */
  responseTopic?: string;
  correlationData?: string;
}

/** Payloads larger than this are refused unread (a 512-byte value is 1 KiB of hex). */
export const MAX_COMMAND_BYTES = 4096;
/** The longest time limit a command may ask for. */
export const MAX_COMMAND_MS = 120_000;
const MAX_VALUE_BYTES = 512;
const MAX_CORRELATION = 256;
const KNOWN_FIELDS = new Set([
  'command',
  'address',
  'characteristic',
  'value',
  'withoutResponse',
  'addressType',
  'timeoutMs',
  'responseTopic',
  'correlationData',
]);
const NEEDS_TARGET = new Set<CommandName>(['read', 'write', 'subscribe', 'unsubscribe']);

/** A topic a reply may go to: plain (no wildcards, not a $SYS topic), bounded. */
export function validResponseTopic(t: unknown): t is string {
  return (
    typeof t === 'string' &&
    t.length > 0 &&
    Buffer.byteLength(t) <= 1024 &&
    !/[#+\0]/.test(t) &&
    !t.startsWith('$')
  );
}

function field<T>(o: Record<string, unknown>, key: string, type: string): T | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== type) throw new InvalidArgumentError(`"${key}" must be a ${type}`);
  return v as T;
}

/**
 * Parses a command payload: JSON of at most MAX_COMMAND_BYTES with known fields of the right
 * types only. Throws InvalidArgumentError saying what is wrong.
 */
export function parseCommand(payload: Uint8Array): GatewayCommand {
  if (payload.length > MAX_COMMAND_BYTES) {
    throw new InvalidArgumentError(`command payload over ${MAX_COMMAND_BYTES} bytes`);
  }
  let o: unknown;
  try {
    o = JSON.parse(Buffer.from(payload).toString('utf8'));
  } catch {
    throw new InvalidArgumentError('command payload is not JSON');
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) {
    throw new InvalidArgumentError('command payload must be a JSON object');
  }
  const rec = o as Record<string, unknown>;
  for (const k of Object.keys(rec)) {
    if (!KNOWN_FIELDS.has(k)) throw new InvalidArgumentError(`unknown field ${JSON.stringify(k)}`);
  }
  const command = field<string>(rec, 'command', 'string');
  if (!COMMAND_NAMES.includes(command as CommandName)) {
    throw new InvalidArgumentError(`"command" must be one of ${COMMAND_NAMES.join(', ')}`);
  }
  const address = field<string>(rec, 'address', 'string');
  if (address === undefined || !isAddress(address)) {
    throw new InvalidArgumentError('"address" must be a device address like AA:BB:CC:DD:EE:FF');
  }
  const cmd: GatewayCommand = {
    command: command as CommandName,
    address: normalizeAddress(address),
  };
  const target = field<string>(rec, 'characteristic', 'string');
  if (NEEDS_TARGET.has(cmd.command)) {
    if (target === undefined) throw new InvalidArgumentError(`${command} needs "characteristic"`);
    if (target.length > 80) throw new InvalidArgumentError('"characteristic" is too long');
    cmd.characteristic = parseTarget(target);
    cmd.target = target.trim().toLowerCase();
  } else if (target !== undefined) {
    throw new InvalidArgumentError(`${command} takes no "characteristic"`);
  }
  const value = field<string>(rec, 'value', 'string');
  if (cmd.command === 'write') {
    if (value === undefined) throw new InvalidArgumentError('write needs "value" (hex)');
    if (value.length > MAX_VALUE_BYTES * 2 + 2) {
      throw new InvalidArgumentError(`"value" is over ${MAX_VALUE_BYTES} bytes`);
    }
    cmd.value = parseHex(value);
    const wr = field<boolean>(rec, 'withoutResponse', 'boolean');
    if (wr !== undefined) cmd.withoutResponse = wr;
  } else if (value !== undefined || rec.withoutResponse !== undefined) {
    throw new InvalidArgumentError(`${command} takes no "value"`);
  }
  const addressType = field<string>(rec, 'addressType', 'string');
  if (addressType !== undefined) {
    if (cmd.command !== 'connect')
      throw new InvalidArgumentError('only connect takes "addressType"');
    if (addressType !== 'public' && addressType !== 'random') {
      throw new InvalidArgumentError('"addressType" must be public or random');
    }
    cmd.addressType = addressType;
  }
  const timeoutMs = field<number>(rec, 'timeoutMs', 'number');
  if (timeoutMs !== undefined) {
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > MAX_COMMAND_MS) {
      throw new InvalidArgumentError(`"timeoutMs" must be an integer 1..${MAX_COMMAND_MS}`);
    }
    cmd.timeoutMs = timeoutMs;
  }
  const responseTopic = rec.responseTopic;
  if (responseTopic !== undefined) {
    if (!validResponseTopic(responseTopic)) {
      throw new InvalidArgumentError('"responseTopic" must be a topic with no wildcards');
    }
    cmd.responseTopic = responseTopic;
  }
  const correlation = field<string>(rec, 'correlationData', 'string');
  if (correlation !== undefined) {
    if (correlation.length > MAX_CORRELATION) {
      throw new InvalidArgumentError(`"correlationData" is over ${MAX_CORRELATION} characters`);
    }
    cmd.correlationData = correlation;
  }
  return cmd;
}

/** What stays readable of a payload that failed to parse: its 3.1.1 reply fields, if any. */
export function replyFieldsOf(payload: Uint8Array): {
  responseTopic?: string;
  correlationData?: string;
} {
  if (payload.length > MAX_COMMAND_BYTES) return {};
  try {
    const o = JSON.parse(Buffer.from(payload).toString('utf8')) as Record<string, unknown>;
    const out: { responseTopic?: string; correlationData?: string } = {};
    if (validResponseTopic(o.responseTopic)) out.responseTopic = o.responseTopic;
    if (typeof o.correlationData === 'string' && o.correlationData.length <= MAX_CORRELATION) {
      out.correlationData = o.correlationData;
    }
    return out;
  } catch {
    return {};
  }
}
