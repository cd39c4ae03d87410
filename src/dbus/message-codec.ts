/**
 * Whole D-Bus messages: the fixed header, the header fields and the body. Messages go out
 * little-endian; either byte order is read.
 */
import { DecodeError, InvalidArgumentError } from '../core/errors.js';
import { Writer, writeValue } from './marshal.js';
import { parseSignature, singleType } from './signature.js';
import { Reader, readValue } from './unmarshal.js';

export const MessageType = { methodCall: 1, methodReturn: 2, error: 3, signal: 4 } as const;

/** A message's header fields and its decoded body (shapes: see unmarshal.ts). */
export interface WireMessage {
  type: number;
  flags: number;
  serial: number;
  path?: string;
  interface?: string;
  member?: string;
  errorName?: string;
  replySerial?: number;
  destination?: string;
  sender?: string;
  signature: string;
  body: unknown[];
}

type FieldName = Exclude<keyof WireMessage, 'type' | 'flags' | 'serial' | 'body'>;

/** Header field codes (the specification's numbering) with their names and types. */
const FIELDS: readonly (readonly [number, FieldName | 'unixFds', string])[] = [
  [1, 'path', 'o'],
  [2, 'interface', 's'],
  [3, 'member', 's'],
  [4, 'errorName', 's'],
  [5, 'replySerial', 'u'],
  [6, 'destination', 's'],
  [7, 'sender', 's'],
  [8, 'signature', 'g'],
  [9, 'unixFds', 'u'],
];
const BY_CODE = new Map(FIELDS.map((f) => [f[0], f]));
const REQUIRED: Record<number, FieldName[]> = {
  1: ['path', 'member'],
  2: ['replySerial'],
  3: ['errorName', 'replySerial'],
  4: ['path', 'interface', 'member'],
};
/** The specification's limit on a whole message. */
const MAX_MESSAGE = 1 << 27;

/** What encodeMessage takes: a WireMessage whose fields may be missing. */
export type OutgoingMessage = Partial<Omit<WireMessage, 'serial'>> & { serial: number | null };

/** Encodes a message; 'h' values in the body become the returned fds, in order. */
export function encodeMessage(m: OutgoingMessage): { data: Buffer; fds: number[] } {
  const type = m.type || MessageType.methodCall;
  if (!m.serial) throw new InvalidArgumentError('D-Bus message without a serial');
  for (const f of REQUIRED[type] ?? []) {
    if (m[f] === undefined) throw new InvalidArgumentError(`D-Bus message without ${f}`);
  }
  const signature = m.signature ?? '';
  const trees = parseSignature(signature);
  const values = m.body ?? [];
  if (values.length !== trees.length) {
    throw new InvalidArgumentError(
      `D-Bus body has ${values.length} values for signature "${signature}"`,
    );
  }
  const fds: number[] = [];
  const body = new Writer(64);
  trees.forEach((t, i) => writeValue(body, t, values[i], fds));

  const head = new Writer(160);
  head.u8(0x6c);
  head.u8(type);
  head.u8(m.flags ?? 0);
  head.u8(1);
  head.u32(body.pos);
  head.u32(m.serial);
  head.u32(0);
  for (const [code, name, sig] of FIELDS) {
    const value = name === 'unixFds' ? fds.length : m[name];
    if (!value) continue;
    head.pad(8);
    head.u8(code);
    head.text(sig, true);
    writeValue(head, singleType(sig), value, fds);
  }
  head.buf.writeUInt32LE(head.pos - 16, 12);
  head.pad(8);
  const data = Buffer.allocUnsafe(head.pos + body.pos);
  head.buf.copy(data, 0, 0, head.pos);
  body.buf.copy(data, head.pos, 0, body.pos);
  return { data, fds };
}

/** Rounds up to a multiple of 8 without 32-bit arithmetic: lengths come from the peer. */
function align8(n: number): number {
  return Math.ceil(n / 8) * 8;
}

/**
 * How many values a message of `restBytes` may decode to. Every value costs tens of bytes of
 * heap where its wire form may take four (an 'av' of bytes: 49 times the wire size was seen),
 * so the count is bounded by the wire size: a byte array counts as one value, and anything
 * BlueZ sends stays far below (an 8-byte element per value, plus room for small messages).
 */
export function valueBudget(restBytes: number): number {
  return 65536 + Math.floor(restBytes / 8);
}

/** From a message's first 16 bytes: the length of everything after them. */
export function restLength(header: Buffer): number {
  const order = header[0];
  if (header.length < 16 || (order !== 0x6c && order !== 0x42)) {
    throw new DecodeError('malformed D-Bus message: bad byte-order mark', { offset: 0 });
  }
  if (header[3] !== 1) {
    throw new DecodeError(`unsupported D-Bus protocol version ${header[3]}`, { offset: 3 });
  }
  const le = order === 0x6c;
  const bodyLength = le ? header.readUInt32LE(4) : header.readUInt32BE(4);
  const fieldsLength = le ? header.readUInt32LE(12) : header.readUInt32BE(12);
  // Every message type requires header fields, and a reader waiting for 0 bytes would wait forever.
  if (fieldsLength === 0) {
    throw new DecodeError('malformed D-Bus message: no header fields', { offset: 12 });
  }
  if (fieldsLength > MAX_MESSAGE) {
    throw new DecodeError(`D-Bus header fields of ${fieldsLength} bytes are over the limit`, {
      offset: 12,
    });
  }
  const rest = align8(fieldsLength) + bodyLength;
  if (rest + 16 > MAX_MESSAGE) {
    throw new DecodeError(`D-Bus message of ${rest + 16} bytes is over the limit`, { offset: 4 });
  }
  return rest;
}

/**
 * Decodes a message's header fields (body left empty) from its first 16 bytes and the rest.
 * The rest starts at offset 16, a multiple of 8, so alignment inside it is the same as inside
 * the whole message.
 */
export function decodeHeader(header: Buffer, rest: Buffer, fds: readonly number[] = []) {
  const restLen = restLength(header);
  if (rest.length !== restLen) {
    throw new DecodeError(`D-Bus message body is ${rest.length} bytes, header says ${restLen}`);
  }
  const le = header[0] === 0x6c;
  const u32 = (at: number) => (le ? header.readUInt32LE(at) : header.readUInt32BE(at));
  const fieldsLength = u32(12);
  const m: WireMessage = {
    type: header[1]!,
    flags: header[2]!,
    serial: u32(8),
    signature: '',
    body: [],
  };
  const fields = new Reader(rest, le, fds, 0, fieldsLength);
  while (fields.pos < fieldsLength) {
    fields.align(8);
    const code = fields.u8();
    const sig = fields.text(fields.u8());
    const value = readValue(fields, singleType(sig));
    const known = BY_CODE.get(code);
    if (!known) continue;
    if (known[2] !== sig) fields.fail(`header field ${code} has type "${sig}"`);
    if (known[1] !== 'unixFds') (m as unknown as Record<string, unknown>)[known[1]] = value;
  }
  for (const f of REQUIRED[m.type] ?? []) {
    if (m[f] === undefined) fields.fail(`${f} missing`);
  }
  return m;
}

/** Decodes a whole message: see decodeHeader. */
export function decodeMessage(header: Buffer, rest: Buffer, fds: readonly number[] = []) {
  const m = decodeHeader(header, rest, fds);
  const le = header[0] === 0x6c;
  const fieldsLength = le ? header.readUInt32LE(12) : header.readUInt32BE(12);
  const start = align8(fieldsLength);
  const body = new Reader(rest, le, fds, start, rest.length, valueBudget(rest.length));
  for (let i = fieldsLength; i < start; i++) {
    if (rest[i] !== 0) body.fail('non-zero padding after the header');
  }
  m.body = parseSignature(m.signature).map((t) => readValue(body, t));
  if (body.pos !== rest.length) body.fail(`${rest.length - body.pos} bytes after the body`);
  return m;
}
