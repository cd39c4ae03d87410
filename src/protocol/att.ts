/** ATT_MTU every LE link starts with, before an Exchange MTU (Core Vol 3 Part F 3.2.8). */
export const ATT_DEFAULT_MTU = 23;
/** Largest ATT_MTU a client may ask for: 512 bytes of value plus a 5-byte header. */
export const ATT_MAX_MTU = 517;
/** Longest attribute value ATT allows (Core Vol 3 Part F 3.2.9). */
export const MAX_ATTRIBUTE_LENGTH = 512;

/**
 * ATT error codes (Bluetooth Core spec, Vol 3 Part F 3.4.1.1) and the
 * common profile and service error codes (Core Specification Supplement, Part B).
 */
export const AttErrorCode = {
  InvalidHandle: 0x01,
  ReadNotPermitted: 0x02,
  WriteNotPermitted: 0x03,
  InvalidPdu: 0x04,
  InsufficientAuthentication: 0x05,
  RequestNotSupported: 0x06,
  InvalidOffset: 0x07,
  InsufficientAuthorization: 0x08,
  PrepareQueueFull: 0x09,
  AttributeNotFound: 0x0a,
  AttributeNotLong: 0x0b,
  EncryptionKeySizeTooShort: 0x0c,
  InvalidAttributeValueLength: 0x0d,
  UnlikelyError: 0x0e,
  InsufficientEncryption: 0x0f,
  UnsupportedGroupType: 0x10,
  InsufficientResources: 0x11,
  DatabaseOutOfSync: 0x12,
  ValueNotAllowed: 0x13,
  /** First application error code (0x80..0x9F are defined by the application). */
  ApplicationErrorFirst: 0x80,
  ApplicationErrorLast: 0x9f,
  WriteRequestRejected: 0xfc,
  CccdImproperlyConfigured: 0xfd,
  ProcedureAlreadyInProgress: 0xfe,
  OutOfRange: 0xff,
} as const;

/** Names of the ATT error codes in AttErrorCode. */
export type AttErrorCodeName = keyof typeof AttErrorCode;

/**
 * `attCode` of an AttError whose code the stack did not pass on: the peer answered with an
 * ATT Error Response, but the tool in between (gatttool prints 'Unexpected error code' for
 * codes it has no words for) dropped the number. Outside 0..255, so it matches no real code.
 */
export const UNKNOWN_ATT_CODE = -1;

const NAMES = new Map<number, string>();
for (const [name, code] of Object.entries(AttErrorCode)) {
  if (name !== 'ApplicationErrorFirst' && name !== 'ApplicationErrorLast') NAMES.set(code, name);
}

/** True for 0x80..0x9F, the range a GATT server application may use for its own errors. */
export function isApplicationAttError(code: number): boolean {
  return Number.isInteger(code) && code >= 0x80 && code <= 0x9f;
}

/**
 * Name of an ATT error code: the spec name ('InvalidOffset'), 'ApplicationError' for
 * 0x80..0x9F, 'Reserved' for anything else in 0x00..0xFF, 'Unknown' outside a byte.
 */
export function attErrorName(code: number): string {
  const known = NAMES.get(code);
  if (known !== undefined) return known;
  if (isApplicationAttError(code)) return 'ApplicationError';
  if (Number.isInteger(code) && code >= 0 && code <= 0xff) return 'Reserved';
  return 'Unknown';
}
