import { attErrorName } from '../protocol/att.js';

/** Options every BleError takes: the underlying error as `cause`. */
export interface BleErrorOptions {
  cause?: unknown;
}

/**
 * Base of every error blekit throws. `code` is stable and meant for programs
 * (switch on it); `message` is for people and may change.
 */
export class BleError extends Error {
  /** Stable code for programs, e.g. 'ERR_BLE_TIMEOUT'. */
  readonly code: string;

  constructor(message: string, code = 'ERR_BLE', options?: BleErrorOptions) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'BleError';
    this.code = code;
  }
}

/** Bad input caught at the API edge, before any I/O. */
export class InvalidArgumentError extends BleError {
  constructor(message: string, options?: BleErrorOptions) {
    super(message, 'ERR_BLE_INVALID_ARGUMENT', options);
    this.name = 'InvalidArgumentError';
  }
}

/** A wait ran past its time limit (the `timeoutMs` of a call or a default). */
export class TimeoutError extends BleError {
  constructor(message: string, options?: BleErrorOptions) {
    super(message, 'ERR_BLE_TIMEOUT', options);
    this.name = 'TimeoutError';
  }
}

/** Same name and code as Node's own AbortError, so `err.name === 'AbortError'` checks work. */
export class AbortError extends BleError {
  constructor(message = 'The operation was aborted', options?: BleErrorOptions) {
    super(message, 'ABORT_ERR', options);
    this.name = 'AbortError';
  }
}

/** The link is down, or the Central/Peripheral has not been started or is closed. */
export class NotConnectedError extends BleError {
  constructor(message: string, options?: BleErrorOptions) {
    super(message, 'ERR_BLE_NOT_CONNECTED', options);
    this.name = 'NotConnectedError';
  }
}

/** No such adapter, device, service, characteristic or descriptor. */
export class NotFoundError extends BleError {
  constructor(message: string, options?: BleErrorOptions) {
    super(message, 'ERR_BLE_NOT_FOUND', options);
    this.name = 'NotFoundError';
  }
}

/** This backend or stack cannot do it (see a backend's `capabilities`). */
export class NotSupportedError extends BleError {
  constructor(message: string, options?: BleErrorOptions) {
    super(message, 'ERR_BLE_NOT_SUPPORTED', options);
    this.name = 'NotSupportedError';
  }
}

/** Refused by the system: D-Bus policy, missing capabilities, device file access. */
export class PermissionError extends BleError {
  constructor(message: string, options?: BleErrorOptions) {
    super(message, 'ERR_BLE_PERMISSION', options);
    this.name = 'PermissionError';
  }
}

/** The stack is doing something that conflicts (BlueZ InProgress / Busy). Usually retryable. */
export class BusyError extends BleError {
  constructor(message: string, options?: BleErrorOptions) {
    super(message, 'ERR_BLE_BUSY', options);
    this.name = 'BusyError';
  }
}

/** A backend failure that maps to no more specific error; `backend` names which one. */
export class BackendError extends BleError {
  /** The backend that failed ('dbus', 'gatttool', 'bgapi'). */
  readonly backend?: string;

  constructor(message: string, options?: BleErrorOptions & { backend?: string }) {
    super(message, 'ERR_BLE_BACKEND', options);
    this.name = 'BackendError';
    if (options?.backend !== undefined) this.backend = options.backend;
  }
}

/** Malformed bytes from the air, the kernel or a peer; `offset` is where decoding failed. */
export class DecodeError extends BleError {
  /** Byte offset in the input where decoding failed. */
  readonly offset?: number;

  constructor(message: string, options?: BleErrorOptions & { offset?: number }) {
    super(message, 'ERR_BLE_DECODE', options);
    this.name = 'DecodeError';
    if (options?.offset !== undefined) this.offset = options.offset;
  }
}

/**
 * A subscription blekit could not restore after a reconnect or a change of the peer's
 * database: the characteristic is gone, or enabling it again failed (`cause` says how). The
 * subscription's callbacks have been dropped; subscribe again to resume.
 */
export class SubscriptionLostError extends BleError {
  /** UUID of the characteristic, and of its service when known. */
  readonly characteristic: string;
  /** UUID of its service, when known. */
  readonly service?: string;

  constructor(
    message: string,
    options: BleErrorOptions & { characteristic: string; service?: string },
  ) {
    super(message, 'ERR_BLE_SUBSCRIPTION_LOST', options);
    this.name = 'SubscriptionLostError';
    this.characteristic = options.characteristic;
    if (options.service) this.service = options.service;
  }
}

function hex2(n: number): string {
  return '0x' + n.toString(16).padStart(2, '0');
}

/**
 * An ATT Error Response from the peer (or to send to it), e.g. 'ATT error 0x0f
 * (InsufficientEncryption)'. `attCode` is UNKNOWN_ATT_CODE (-1, name 'Unknown') when the peer
 * answered with an error whose code the backend could not learn.
 */
export class AttError extends BleError {
  /** The ATT error code, e.g. 0x0f. */
  readonly attCode: number;
  /** The code's name in the Core spec, e.g. 'InsufficientEncryption'. */
  readonly attName: string;

  constructor(attCode: number, message?: string, options?: BleErrorOptions) {
    const attName = attErrorName(attCode);
    const known = Number.isInteger(attCode) && attCode >= 0 && attCode <= 0xff;
    const base = known ? `ATT error ${hex2(attCode)} (${attName})` : 'ATT error (code unknown)';
    super(message ? `${base}: ${message}` : base, 'ERR_BLE_ATT', options);
    this.name = 'AttError';
    this.attCode = attCode;
    this.attName = attName;
  }
}
