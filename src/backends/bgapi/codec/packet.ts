import { DecodeError, InvalidArgumentError } from '../../../core/index.js';
import { decodeFields, encodeFields, payloadBounds, type Fields } from './fields.js';
import {
  COMMANDS,
  EVENTS,
  type AnsweredCommandName,
  type CommandName,
  type CommandParams,
  type EventName,
  type EventParams,
  type ResponseParams,
} from './messages.js';
import { describeValue } from '../../../core/describe.js';

/**
 * BGAPI v1 header, 4 bytes: [MT:1 TT:4 LH:3] [LL] [class] [command]. MT is 0 for commands and
 * responses and 1 for events; TT 0 is Bluetooth Smart; the payload length is 11 bits (LH:LL).
 */
export const HEADER_SIZE = 4;
/** Largest payload the 11-bit length field can give, in bytes. */
export const MAX_PAYLOAD = 0x7ff;
/** The header's technology type for Bluetooth Smart (BLE). */
export const TECH_BLE = 0;

/** The 4-byte BGAPI header, unpacked. */
export interface FrameHeader {
  event: boolean;
  technology: number;
  length: number;
  cls: number;
  id: number;
}

/**
 * The 4 header bytes for `h`; class, id and technology are masked to their field widths.
 * @throws InvalidArgumentError when `h.length` is not a whole number 0..MAX_PAYLOAD.
 */
export function encodeHeader(h: FrameHeader): Buffer {
  if (!Number.isInteger(h.length) || h.length < 0 || h.length > MAX_PAYLOAD) {
    throw new InvalidArgumentError(`BGAPI payload of ${h.length} bytes (at most ${MAX_PAYLOAD})`);
  }
  return Buffer.from([
    (h.event ? 0x80 : 0) | ((h.technology & 0x0f) << 3) | (h.length >> 8),
    h.length & 0xff,
    h.cls & 0xff,
    h.id & 0xff,
  ]);
}

/**
 * Unpacks the header at `offset` (the length field says how many payload bytes follow).
 * @throws DecodeError when fewer than 4 bytes remain.
 */
export function decodeHeader(buf: Uint8Array, offset = 0): FrameHeader {
  if (buf.length - offset < HEADER_SIZE) {
    throw new DecodeError(`BGAPI header needs 4 bytes, have ${buf.length - offset}`, { offset });
  }
  const b0 = buf[offset] as number;
  return {
    event: (b0 & 0x80) !== 0,
    technology: (b0 >> 3) & 0x0f,
    length: ((b0 & 0x07) << 8) | (buf[offset + 1] as number),
    cls: buf[offset + 2] as number,
    id: buf[offset + 3] as number,
  };
}

/** Which end wrote the bytes: commands come from the host; responses and events from the dongle. */
export type Direction = 'toDevice' | 'fromDevice';

/** A decoded command, its `params` typed by its name. */
export type BgapiCommand = {
  [N in CommandName]: { kind: 'command'; name: N; params: CommandParams<N> };
}[CommandName];
/** A decoded response, its `params` typed by the name of the command it answers. */
export type BgapiResponse = {
  [N in AnsweredCommandName]: { kind: 'response'; name: N; params: ResponseParams<N> };
}[AnsweredCommandName];
/** A decoded event, its `params` typed by its name. */
export type BgapiEvent = {
  [N in EventName]: { kind: 'event'; name: N; params: EventParams<N> };
}[EventName];

/** A well-formed frame this table does not know (other technology, class or command). */
export interface RawFrame {
  kind: 'raw';
  header: FrameHeader;
  payload: Buffer;
}

/** Any message the tables know; switch on `kind`, then `name`. */
export type BgapiMessage = BgapiCommand | BgapiResponse | BgapiEvent;
/** What decoding a frame gives: a known message, or the raw frame when the tables lack it. */
export type Decoded = BgapiMessage | RawFrame;

interface Entry {
  name: string;
  fields: Fields;
}

function key(cls: number, id: number): number {
  return (cls << 8) | id;
}

const commandsById = new Map<number, Entry>();
const responsesById = new Map<number, Entry>();
const eventsById = new Map<number, Entry>();
for (const [name, def] of Object.entries(COMMANDS)) {
  commandsById.set(key(def.cls, def.id), { name, fields: def.params });
  if (def.returns !== null) responsesById.set(key(def.cls, def.id), { name, fields: def.returns });
}
for (const [name, def] of Object.entries(EVENTS)) {
  eventsById.set(key(def.cls, def.id), { name, fields: def.params });
}

function frame(event: boolean, cls: number, id: number, payload: Buffer): Buffer {
  return Buffer.concat([
    encodeHeader({ event, technology: TECH_BLE, length: payload.length, cls, id }),
    payload,
  ]);
}

/**
 * The whole frame (header and payload) of command `name` with `params`.
 * @throws InvalidArgumentError for an unknown name, or a parameter that is missing, out of
 * its type's range, or bytes longer than 255.
 */
export function encodeCommand<N extends CommandName>(name: N, params: CommandParams<N>): Buffer {
  const def = COMMANDS[name];
  if (!def) throw new InvalidArgumentError(`Unknown BGAPI command ${describeValue(name)}`);
  return frame(false, def.cls, def.id, encodeFields(def.params, params, name));
}

/**
 * The frame of the dongle's response to command `name` (emulators and tests write these).
 * @throws InvalidArgumentError for an unknown name, a command without a response
 * (system_reset), or a bad parameter as in encodeCommand.
 */
export function encodeResponse<N extends AnsweredCommandName>(
  name: N,
  params: ResponseParams<N>,
): Buffer {
  const def = COMMANDS[name];
  if (!def || def.returns === null) {
    throw new InvalidArgumentError(`BGAPI command ${describeValue(name)} has no response`);
  }
  return frame(false, def.cls, def.id, encodeFields(def.returns, params, `${name} response`));
}

/**
 * The frame of event `name` (emulators and tests write these).
 * @throws InvalidArgumentError for an unknown name or a bad parameter as in encodeCommand.
 */
export function encodeEvent<N extends EventName>(name: N, params: EventParams<N>): Buffer {
  const def = EVENTS[name];
  if (!def) throw new InvalidArgumentError(`Unknown BGAPI event ${describeValue(name)}`);
  return frame(true, def.cls, def.id, encodeFields(def.params, params, name));
}

function lookup(h: FrameHeader, direction: Direction): Entry | undefined {
  if (h.technology !== TECH_BLE) return undefined;
  const k = key(h.cls, h.id);
  if (h.event) return direction === 'fromDevice' ? eventsById.get(k) : undefined;
  return (direction === 'toDevice' ? commandsById : responsesById).get(k);
}

/** Payload sizes a known frame may have; undefined for frames the table does not know. */
export function knownPayloadBounds(
  h: FrameHeader,
  direction: Direction,
): { min: number; max: number } | undefined {
  const e = lookup(h, direction);
  return e && payloadBounds(e.fields);
}

/**
 * Decodes one whole frame. Unknown technology/class/command gives a RawFrame; a frame whose
 * length field disagrees with the bytes given, or whose payload does not fit its message,
 * gives a DecodeError.
 */
export function decodeFrame(buf: Uint8Array, direction: Direction): Decoded {
  const h = decodeHeader(buf);
  const have = buf.length - HEADER_SIZE;
  if (have < h.length) {
    throw new DecodeError(`BGAPI frame truncated: header says ${h.length} bytes, ${have} follow`, {
      offset: buf.length,
    });
  }
  if (have > h.length) {
    throw new DecodeError(`BGAPI frame oversized: header says ${h.length} bytes, ${have} follow`, {
      offset: HEADER_SIZE + h.length,
    });
  }
  const payload = Buffer.from(buf.subarray(HEADER_SIZE));
  const e = lookup(h, direction);
  if (!e) return { kind: 'raw', header: h, payload };
  const kind = h.event ? 'event' : direction === 'toDevice' ? 'command' : 'response';
  const params = decodeFields(
    e.fields,
    payload,
    `BGAPI ${e.name}${kind === 'response' ? ' response' : ''}`,
  );
  return { kind, name: e.name, params } as Decoded;
}
