import {
  AttError,
  BackendError,
  BusyError,
  InvalidArgumentError,
  NotConnectedError,
  NotFoundError,
  NotSupportedError,
  PermissionError,
  TimeoutError,
  UNKNOWN_ATT_CODE,
  type BleError,
} from '../../core/index.js';

/**
 * The words gatttool (attrib/att.c att_ecode2str) prints for each ATT error code. 0x80..0x82
 * are also what gattrib reports for local I/O errors, timeouts and aborts, so a peer's
 * application error 0x80 and a local I/O failure read the same; codes gatttool has no words
 * for ('Unexpected error code') cannot be recovered at all. 0x81 is spelled 'occurred' from
 * BlueZ 5.66 on and 'occured' before: both are listed.
 */
const ATT_WORDS: ReadonlyMap<string, number> = new Map([
  ['Invalid handle', 0x01],
  ["Attribute can't be read", 0x02],
  ["Attribute can't be written", 0x03],
  ['Attribute PDU was invalid', 0x04],
  ['Attribute requires authentication before read/write', 0x05],
  ["Server doesn't support the request received", 0x06],
  ['Offset past the end of the attribute', 0x07],
  ['Attribute requires authorization before read/write', 0x08],
  ['Too many prepare writes have been queued', 0x09],
  ['No attribute found within the given range', 0x0a],
  ["Attribute can't be read/written using Read Blob Req", 0x0b],
  ['Encryption Key Size is insufficient', 0x0c],
  ['Attribute value length is invalid', 0x0d],
  ['Request attribute has encountered an unlikely error', 0x0e],
  ['Encryption required before read/write', 0x0f],
  ['Attribute type is not a supported grouping attribute', 0x10],
  ['Insufficient Resources to complete the request', 0x11],
  ['Internal application error: I/O', 0x80],
  ['A timeout occurred', 0x81],
  ['A timeout occured', 0x81],
  ['The operation was aborted', 0x82],
]);

/** errno values gatttool appends as '(N)' to socket errors (Linux numbering). */
const ERRNO = {
  EPERM: 1,
  ENOENT: 2,
  EAGAIN: 11,
  EACCES: 13,
  EBUSY: 16,
  ENODEV: 19,
  EINVAL: 22,
  EAFNOSUPPORT: 97,
  ECONNABORTED: 103,
  ECONNRESET: 104,
  ENOTCONN: 107,
  ETIMEDOUT: 110,
  ECONNREFUSED: 111,
  EHOSTDOWN: 112,
  EHOSTUNREACH: 113,
  EALREADY: 114,
  EINPROGRESS: 115,
} as const;

/** Connect failures worth another attempt: the link never came up for a local, passing reason. */
const TRANSIENT_ERRNO: ReadonlySet<number> = new Set([
  ERRNO.EAGAIN,
  ERRNO.EBUSY,
  ERRNO.ECONNABORTED,
  ERRNO.EALREADY,
  ERRNO.EINPROGRESS,
]);

/** The errno a gatttool socket error ends with, e.g. 'connect error: Connection refused (111)'. */
export function errnoOf(message: string): number | undefined {
  const m = /\((\d+)\)\s*$/.exec(message);
  return m ? parseInt(m[1] as string, 10) : undefined;
}

/** True for a connect error another attempt may get past. */
export function isTransientConnectError(message: string): boolean {
  const n = errnoOf(message);
  return n !== undefined && TRANSIENT_ERRNO.has(n);
}

/** The ATT code in a '<procedure> failed: <words>' message, when gatttool's words name one. */
export function attCodeOf(message: string): number | undefined {
  const i = message.lastIndexOf(' failed: ');
  const words = (i >= 0 ? message.slice(i + ' failed: '.length) : message).trim();
  return ATT_WORDS.get(words);
}

/**
 * Maps what gatttool printed after 'Error: ' or 'Command Failed: ' (`failed`) to blekit's
 * typed errors. `what` says which operation failed, for the message.
 */
export function mapGatttoolError(message: string, what: string, failed = false): BleError {
  const text = `${what}: gatttool: ${message}`;
  if (failed && /^Disconnected\b/.test(message)) return new NotConnectedError(text);
  const code = attCodeOf(message);
  if (code !== undefined) return new AttError(code, `${what} (gatttool: ${message})`);
  if (/Unexpected error code$/.test(message)) {
    // The peer did answer with an ATT error; gatttool only dropped its number.
    return new AttError(
      UNKNOWN_ATT_CODE,
      `${what} (gatttool: ${message}; gatttool does not print this code)`,
    );
  }
  if (
    /^(Invalid (handle|value|UUID|start handle|end handle)\b|A valid handle is required|Missing argument|.*: command not found$)/.test(
      message,
    )
  ) {
    return new InvalidArgumentError(text);
  }
  if (/MTU exchange can only occur once/.test(message)) return new BusyError(text);
  const n = errnoOf(message);
  switch (n) {
    case ERRNO.ETIMEDOUT:
      return new TimeoutError(text);
    case ERRNO.EPERM:
    case ERRNO.EACCES:
      return new PermissionError(text);
    case ERRNO.EBUSY:
    case ERRNO.EALREADY:
    case ERRNO.EINPROGRESS:
    case ERRNO.EAGAIN:
      return new BusyError(text);
    case ERRNO.ENODEV:
    case ERRNO.ENOENT:
      return new NotFoundError(text);
    case ERRNO.EAFNOSUPPORT:
      return new NotSupportedError(`${text} (this kernel has no Bluetooth)`);
    case ERRNO.ECONNABORTED:
    case ERRNO.ECONNRESET:
    case ERRNO.ENOTCONN:
    case ERRNO.ECONNREFUSED:
    case ERRNO.EHOSTDOWN:
    case ERRNO.EHOSTUNREACH:
      return new NotConnectedError(text);
    case ERRNO.EINVAL:
      return new InvalidArgumentError(text);
    default:
      return new BackendError(text, { backend: 'gatttool' });
  }
}
