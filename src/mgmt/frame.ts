/**
 * Mgmt socket frames: a 6-byte little-endian header (code, controller index, parameter
 * length) and the parameters. Commands go to the kernel, events come back.
 */
import { DecodeError, InvalidArgumentError } from '../core/errors.js';
import { decodeParams, encodeParams } from './codec.js';
import type { FieldSpec, MessageSpec } from './fields.js';
import { COMMANDS, EVENTS } from './generated/protocol.js';
import type {
  AnyMgmtEvent,
  CommandName,
  CommandParams,
  CommandReply,
  EventInput,
  EventName,
  ReplyInput,
} from './types.js';
import { describeValue } from '../core/describe.js';

export const HEADER_SIZE = 6;
/** Controller Index of commands and events that are not about one controller. */
export const NON_CONTROLLER = 0xffff;

type Spec = MessageSpec & { name: string };

function index(list: Record<string, Omit<MessageSpec, 'name'>>): {
  byName: Map<string, Spec>;
  byCode: Map<number, Spec>;
} {
  const byName = new Map<string, Spec>();
  const byCode = new Map<number, Spec>();
  for (const [name, s] of Object.entries(list)) {
    const spec = { ...(s as unknown as MessageSpec), name };
    byName.set(name, spec);
    byCode.set(spec.code, spec);
  }
  return { byName, byCode };
}

const commands = index(COMMANDS as unknown as Record<string, Omit<MessageSpec, 'name'>>);
const events = index(EVENTS as unknown as Record<string, Omit<MessageSpec, 'name'>>);

/** The table entry of a mgmt command (code, parameters, reply); NotFoundError for an unknown name. */
export function commandSpec(name: string): Spec {
  const s = commands.byName.get(name);
  if (!s) throw new InvalidArgumentError(`Unknown mgmt command "${name}"`);
  return s;
}

export function commandByCode(code: number): Spec | undefined {
  return commands.byCode.get(code);
}

/** The table entry of a mgmt event (code, parameters); NotFoundError for an unknown name. */
export function eventSpec(name: string): Spec {
  const s = events.byName.get(name);
  if (!s) throw new InvalidArgumentError(`Unknown mgmt event "${name}"`);
  return s;
}

/** Every mgmt command name, in code order. */
export const COMMAND_NAMES = [...commands.byName.keys()] as CommandName[];
/** Every mgmt event name, in code order. */
export const EVENT_NAMES = [...events.byName.keys()] as EventName[];

export function checkIndex(i: unknown): number {
  if (typeof i !== 'number' || !Number.isInteger(i) || i < 0 || i > NON_CONTROLLER)
    throw new InvalidArgumentError(`Invalid controller index ${describeValue(i)} (need 0..65535)`);
  return i;
}

function header(code: number, idx: number, params: Buffer): Buffer {
  if (params.length > 0xffff)
    throw new InvalidArgumentError(`Parameters too long: ${params.length} bytes (max 65535)`);
  const h = Buffer.alloc(HEADER_SIZE);
  h.writeUInt16LE(code, 0);
  h.writeUInt16LE(checkIndex(idx), 2);
  h.writeUInt16LE(params.length, 4);
  return Buffer.concat([h, params]);
}

/** A full command frame; InvalidArgumentError for a bad name, index or parameter. */
export function encodeCommand<C extends CommandName>(
  name: C,
  idx: number,
  params: CommandParams<C>,
): Buffer {
  const s = commandSpec(name);
  return header(s.code, idx, encodeParams(s.params, params, name));
}

/** Decodes the return parameters of a successful `name` command. */
export function decodeReply<C extends CommandName>(name: C, data: Buffer): CommandReply<C> {
  const s = commandSpec(name);
  return decodeParams(s.reply ?? [], data, `${name} reply`) as CommandReply<C>;
}

/** Return parameters as bytes: the other side of decodeReply (tests and simulators). */
export function encodeReply<C extends CommandName>(name: C, reply: ReplyInput<C>): Buffer {
  const s = commandSpec(name);
  return encodeParams(s.reply ?? [], reply, `${name} reply`);
}

/** A full event frame (tests and simulators stand in for the kernel with it). */
export function encodeEvent<E extends EventName>(
  name: E,
  idx: number,
  params: EventInput<E>,
): Buffer {
  const s = eventSpec(name);
  return header(s.code, idx, encodeParams(s.params, params, name));
}

interface Framed {
  code: number;
  index: number;
  data: Buffer;
}

/** Header check: exactly one frame, whose length field matches the bytes. */
export function splitFrame(buf: Buffer): Framed {
  if (!Buffer.isBuffer(buf)) throw new DecodeError('mgmt frame must be a Buffer');
  if (buf.length < HEADER_SIZE)
    throw new DecodeError(`mgmt frame of ${buf.length} bytes is shorter than its header`, {
      offset: 0,
    });
  const len = buf.readUInt16LE(4);
  if (buf.length !== HEADER_SIZE + len) {
    throw new DecodeError(
      `mgmt frame says ${len} parameter bytes but carries ${buf.length - HEADER_SIZE}`,
      { offset: 4 },
    );
  }
  return { code: buf.readUInt16LE(0), index: buf.readUInt16LE(2), data: buf.subarray(HEADER_SIZE) };
}

/** Decodes an event frame from the kernel; unknown event codes come back raw. */
export function decodeEvent(buf: Buffer): AnyMgmtEvent {
  const { code, index: idx, data } = splitFrame(buf);
  const s = events.byCode.get(code);
  if (!s) return { name: 'Unknown', code, index: idx, data: Buffer.from(data) };
  const params = decodeParams(s.params, data, s.name);
  return { name: s.name, code, index: idx, params } as AnyMgmtEvent;
}

export interface DecodedCommand {
  name: CommandName | 'Unknown';
  code: number;
  index: number;
  params: Record<string, unknown>;
  data: Buffer;
}

/** Decodes a command frame (what a kernel stand-in receives); unknown codes come back raw. */
export function decodeCommand(buf: Buffer): DecodedCommand {
  const { code, index: idx, data } = splitFrame(buf);
  const s = commands.byCode.get(code);
  const copy = Buffer.from(data);
  if (!s) return { name: 'Unknown', code, index: idx, params: {}, data: copy };
  return {
    name: s.name as CommandName,
    code,
    index: idx,
    params: decodeParams(s.params, data, s.name),
    data: copy,
  };
}

export type { FieldSpec };
