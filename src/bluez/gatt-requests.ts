import { AttError, AttErrorCode, isApplicationAttError } from '../core/index.js';
import { DbusError } from '../dbus/client/errors.js';
import type { ReadRequest, RemoteDevice, WriteRequest } from '../peripheral/gatt/types.js';

type Options = Record<string, { value: unknown } | undefined>;

const DEVICE_PATH_RE = /\/dev_([0-9A-F]{2}(?:_[0-9A-F]{2}){5})$/i;

export function deviceFromPath(path: unknown): RemoteDevice | undefined {
  if (typeof path !== 'string') return undefined;
  const m = DEVICE_PATH_RE.exec(path);
  if (!m?.[1]) return undefined;
  return { path, address: m[1].replace(/_/g, ':').toUpperCase() };
}

function num(o: Options, k: string): number | undefined {
  const v = o[k]?.value;
  return typeof v === 'number' ? v : undefined;
}

function str(o: Options, k: string): string | undefined {
  const v = o[k]?.value;
  return typeof v === 'string' ? v : undefined;
}

export function parseReadOptions(raw: unknown): ReadRequest {
  const o = (raw ?? {}) as Options;
  const req: ReadRequest = { offset: num(o, 'offset') ?? 0 };
  const mtu = num(o, 'mtu');
  if (mtu !== undefined) req.mtu = mtu;
  const device = deviceFromPath(o.device?.value);
  if (device) req.device = device;
  const link = str(o, 'link');
  if (link !== undefined) req.link = link;
  return req;
}

export function parseWriteOptions(value: Buffer, raw: unknown): WriteRequest {
  const o = (raw ?? {}) as Options;
  const base = parseReadOptions(raw);
  const req: WriteRequest = {
    ...base,
    value,
    prepareAuthorize: o['prepare-authorize']?.value === true,
  };
  const type = str(o, 'type');
  if (type === 'command' || type === 'request' || type === 'reliable') req.type = type;
  return req;
}

/** ATT codes BlueZ 5.66 can put on the wire for an application, by D-Bus error name. */
const NAMED: ReadonlyMap<number, string> = new Map([
  [AttErrorCode.ReadNotPermitted, 'org.bluez.Error.NotPermitted'],
  [AttErrorCode.WriteNotPermitted, 'org.bluez.Error.NotPermitted'],
  [AttErrorCode.RequestNotSupported, 'org.bluez.Error.NotSupported'],
  [AttErrorCode.InsufficientAuthorization, 'org.bluez.Error.NotAuthorized'],
  [AttErrorCode.InvalidAttributeValueLength, 'org.bluez.Error.InvalidValueLength'],
  [AttErrorCode.InvalidOffset, 'org.bluez.Error.InvalidOffset'],
  [AttErrorCode.ProcedureAlreadyInProgress, 'org.bluez.Error.InProgress'],
]);

/** True when a handler may throw AttError(code) and the client will see exactly `code`. */
export function isExpressibleAttCode(code: number): boolean {
  return isApplicationAttError(code) || NAMED.has(code);
}

/**
 * The D-Bus error that makes BlueZ send `err`'s ATT code. Codes BlueZ cannot express, and
 * anything that is not an AttError, become 0x0e Unlikely Error (BlueZ's own fallback: an
 * out-of-range code in a Failed error).
 */
export function toDBusReply(err: unknown): DbusError {
  if (err instanceof AttError) {
    if (isApplicationAttError(err.attCode)) {
      return new DbusError('org.bluez.Error.Failed', '0x' + err.attCode.toString(16));
    }
    const name = NAMED.get(err.attCode);
    if (name) return new DbusError(name, err.message);
  }
  return new DbusError('org.bluez.Error.Failed', '0xff');
}

/** The part of `value` a read at `offset` returns; InvalidOffset past its end. */
export function sliceForOffset(value: Buffer, offset: number): Buffer {
  if (offset > value.length) throw new AttError(AttErrorCode.InvalidOffset);
  return value.subarray(offset);
}

/** `stored` with `value` written at `offset` (long or partial writes). */
export function applyWrite(stored: Buffer, value: Buffer, offset: number, max: number): Buffer {
  if (offset > stored.length) throw new AttError(AttErrorCode.InvalidOffset);
  if (offset + value.length > max) throw new AttError(AttErrorCode.InvalidAttributeValueLength);
  if (offset === 0) return Buffer.from(value);
  return Buffer.concat([stored.subarray(0, offset), value]);
}
