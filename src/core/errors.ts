import { attErrorName } from './att.js';

export interface BleErrorOptions {
  cause?: unknown;
}

/**
 * Base of every error blekit throws. `code` is stable and meant for programs
 * (switch on it); `message` is for people and may change.
 */
export class BleError extends Error {
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

export class NotConnectedError extends BleError {
  constructor(message: string, options?: BleErrorOptions) {
    super(message, 'ERR_BLE_NOT_CONNECTED', options);
    this.name = 'NotConnectedError';
  }
}

export class NotFoundError extends BleError {
  constructor(message: string, options?: BleErrorOptions) {
    super(message, 'ERR_BLE_NOT_FOUND', options);
    this.name = 'NotFoundError';
  }
}

export class NotSupportedError extends BleError {
  constructor(message: string, options?: BleErrorOptions) {
    super(message, 'ERR_BLE_NOT_SUPPORTED', options);
    this.name = 'NotSupportedError';
  }
}

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
  readonly backend?: string;

  constructor(message: string, options?: BleErrorOptions & { backend?: string }) {
    super(message, 'ERR_BLE_BACKEND', options);
    this.name = 'BackendError';
    if (options?.backend !== undefined) this.backend = options.backend;
  }
}

/** Malformed bytes from the air, the kernel or a peer; `offset` is where decoding failed. */
export class DecodeError extends BleError {
  readonly offset?: number;

  constructor(message: string, options?: BleErrorOptions & { offset?: number }) {
    super(message, 'ERR_BLE_DECODE', options);
    this.name = 'DecodeError';
    if (options?.offset !== undefined) this.offset = options.offset;
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
  readonly attCode: number;
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
