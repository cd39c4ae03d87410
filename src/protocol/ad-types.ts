/** AD type codes (Assigned Numbers, "Common Data Types") that blekit decodes. */
export const AdType = {
  Flags: 0x01,
  IncompleteUuids16: 0x02,
  CompleteUuids16: 0x03,
  IncompleteUuids32: 0x04,
  CompleteUuids32: 0x05,
  IncompleteUuids128: 0x06,
  CompleteUuids128: 0x07,
  ShortenedLocalName: 0x08,
  CompleteLocalName: 0x09,
  TxPowerLevel: 0x0a,
  SolicitUuids16: 0x14,
  SolicitUuids128: 0x15,
  ServiceData16: 0x16,
  Appearance: 0x19,
  AdvertisingInterval: 0x1a,
  SolicitUuids32: 0x1f,
  ServiceData32: 0x20,
  ServiceData128: 0x21,
  Uri: 0x24,
  AdvertisingIntervalLong: 0x2f,
  ManufacturerSpecificData: 0xff,
} as const;

/** Bits of the Flags AD type (Core Supplement Part A 1.3). */
export const AdFlags = {
  LeLimitedDiscoverable: 0x01,
  LeGeneralDiscoverable: 0x02,
  BrEdrNotSupported: 0x04,
  SimultaneousLeBrEdrController: 0x08,
  SimultaneousLeBrEdrHost: 0x10,
} as const;

/** Legacy advertising and scan response payloads are at most 31 bytes. */
export const LEGACY_AD_MAX_LENGTH = 31;

/**
 * URI scheme prefixes that the URI AD type abbreviates to one code point (Assigned
 * Numbers, URI Scheme Name String Mapping). 0x01 means "no abbreviation".
 */
export const URI_SCHEMES: ReadonlyMap<number, string> = new Map([
  [0x16, 'http:'],
  [0x17, 'https:'],
]);
