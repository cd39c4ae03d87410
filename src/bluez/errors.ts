import {
  AttError,
  AttErrorCode,
  BackendError,
  BleError,
  BusyError,
  InvalidArgumentError,
  NotConnectedError,
  NotFoundError,
  NotSupportedError,
  PermissionError,
  TimeoutError,
} from '../core/index.js';
import { DbusError } from '../dbus/client/errors.js';

const BLUEZ = 'org.bluez.Error.';

/** Where an error happened: GATT operations turn BlueZ's names back into ATT codes. */
export type ErrorContext = 'gatt' | 'other';

/** Connect failures worth retrying: BlueZ's own words for a link that never came up. */
const TRANSIENT = [
  'le-connection-abort-by-local',
  'In Progress',
  'Operation already in progress',
  'Software caused connection abort',
  'Resource temporarily unavailable',
  'Device or resource busy',
];

/**
 * Maps a D-Bus error reply (DbusError: `type` is the error name, `text` its message) to
 * blekit's more specific typed errors. Any other BleError passes through.
 */
export function mapDbusError(err: unknown, what: string, context: ErrorContext = 'other'): Error {
  if (err instanceof BleError && !(err instanceof DbusError)) return err;
  const e = err as { type?: unknown; text?: unknown; message?: unknown };
  const type = typeof e?.type === 'string' ? e.type : '';
  const text = typeof e?.text === 'string' ? e.text : String(e?.message ?? err);
  const msg = `${what}: ${text || type}`;
  const opts = { cause: err };
  if (!type.startsWith(BLUEZ)) {
    if (type === 'org.freedesktop.DBus.Error.UnknownObject')
      return new NotFoundError(`${what}: no such object`, opts);
    if (type === 'org.freedesktop.DBus.Error.UnknownMethod')
      return new NotSupportedError(msg, opts);
    if (type === 'org.freedesktop.DBus.Error.AccessDenied') return new PermissionError(msg, opts);
    if (type === 'org.freedesktop.DBus.Error.ServiceUnknown') {
      return new BackendError(`${what}: bluetoothd is not running on the system bus`, {
        cause: err,
        backend: 'dbus',
      });
    }
    if (type === 'org.freedesktop.DBus.Error.NoReply') {
      // The bus daemon's answer for a call whose recipient left: bluetoothd died, no timeout.
      if (/disconnected/i.test(text)) {
        return new BackendError(`${what}: bluetoothd left the bus without replying`, {
          cause: err,
          backend: 'dbus',
        });
      }
      return new TimeoutError(msg, opts);
    }
    return new BackendError(msg, { cause: err, backend: 'dbus' });
  }
  const name = type.slice(BLUEZ.length);
  const att = /ATT error: 0x([0-9a-f]{2})/i.exec(text);
  if (att) return new AttError(parseInt(att[1] as string, 16), what, opts);
  if (context === 'gatt') {
    if (name === 'NotPermitted') {
      if (/^Read/.test(text)) return new AttError(AttErrorCode.ReadNotPermitted, what, opts);
      if (/^Write/.test(text)) return new AttError(AttErrorCode.WriteNotPermitted, what, opts);
      if (/paired/i.test(text))
        return new AttError(AttErrorCode.InsufficientAuthentication, what, opts);
    }
    if (name === 'InvalidArguments' || name === 'InvalidValueLength') {
      if (/offset/i.test(text)) return new AttError(AttErrorCode.InvalidOffset, what, opts);
      if (/length/i.test(text) || name === 'InvalidValueLength') {
        return new AttError(AttErrorCode.InvalidAttributeValueLength, what, opts);
      }
    }
    if (name === 'NotAuthorized')
      return new AttError(AttErrorCode.InsufficientAuthorization, what, opts);
    if (name === 'NotSupported') return new AttError(AttErrorCode.RequestNotSupported, what, opts);
  }
  switch (name) {
    case 'InProgress':
    case 'Busy':
      return new BusyError(msg, opts);
    case 'NotConnected':
      return new NotConnectedError(msg, opts);
    case 'DoesNotExist':
      return new NotFoundError(msg, opts);
    case 'NotSupported':
      return new NotSupportedError(msg, opts);
    case 'InvalidArguments':
      return new InvalidArgumentError(msg, opts);
    case 'NotPermitted':
    case 'NotAuthorized':
    case 'AuthenticationFailed':
    case 'AuthenticationCanceled':
    case 'AuthenticationRejected':
      return new PermissionError(msg, opts);
    case 'AuthenticationTimeout':
      return new TimeoutError(msg, opts);
    case 'Failed':
      if (/not connected|disconnected/i.test(text)) return new NotConnectedError(msg, opts);
      if (TRANSIENT.some((t) => text.includes(t))) return new BusyError(msg, opts);
      return new BackendError(msg, { cause: err, backend: 'dbus' });
    default:
      return new BackendError(msg, { cause: err, backend: 'dbus' });
  }
}

/** True for connect failures that a retry after a short pause usually cures. */
export function isTransientConnectError(err: unknown): boolean {
  if (err instanceof BusyError) return true;
  const e = err as { text?: unknown; message?: unknown };
  const text = typeof e?.text === 'string' ? e.text : String(e?.message ?? '');
  return TRANSIENT.some((t) => text.includes(t));
}

/** Whether `err` came from a BlueZ error reply named `name` ('AlreadyExists', ...). */
export function isBluezError(err: unknown, name: string): boolean {
  const type = (err as { cause?: { type?: unknown } } | undefined)?.cause?.type;
  return typeof type === 'string' && type === BLUEZ + name;
}
