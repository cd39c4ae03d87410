/**
 * Advertising data (AD structures, Core Supplement Part A): the decoded shape here, the codec in
 * ad-decode.ts and ad-encode.ts. This file imports nothing, so the codec's files and their
 * users can all depend on it without a cycle.
 */
/** One AD structure: its type code and its data bytes (without the length and type). */
export interface AdStructure {
  type: number;
  data: Buffer;
}

/**
 * Decoded advertising or scan response data.
 *
 * Names: `localName` is the Complete Local Name when one was sent (`completeName` true),
 * else the Shortened Local Name (`completeName` false); `shortName` is the Shortened Local
 * Name whenever one was sent.
 */
export interface AdvertisingData {
  /** Flags byte (see AdFlags). */
  flags?: number;
  localName?: string;
  shortName?: string;
  completeName?: boolean;
  /** TX power level in dBm (-127..127). */
  txPower?: number;
  /** Service UUIDs from the complete and incomplete 16/32/128-bit lists, normalized, deduplicated. */
  serviceUuids: string[];
  /** Service solicitation UUIDs (16/32/128-bit), normalized, deduplicated. */
  solicitUuids: string[];
  /** Service data keyed by normalized UUID. */
  serviceData: Map<string, Buffer>;
  /** Manufacturer specific data keyed by company identifier (data excludes the identifier). */
  manufacturerData: Map<number, Buffer>;
  /** GAP Appearance value. */
  appearance?: number;
  /** Advertising interval in units of 0.625 ms (from the short or the long AD type). */
  advertisingInterval?: number;
  uri?: string;
  /** Structures of types not decoded above, in the order received. Encoding appends them. */
  raw: AdStructure[];
}

/**
 * Input to encodeAdvertisingData: the decoded shape with every field optional, UUIDs in any
 * form normalizeUuid accepts and values as any Uint8Array.
 */
export interface AdvertisingDataInput {
  flags?: number;
  localName?: string;
  shortName?: string;
  completeName?: boolean;
  txPower?: number;
  serviceUuids?: (string | number)[];
  solicitUuids?: (string | number)[];
  serviceData?: ReadonlyMap<string | number, Uint8Array>;
  manufacturerData?: ReadonlyMap<number, Uint8Array>;
  appearance?: number;
  advertisingInterval?: number;
  uri?: string;
  raw?: { type: number; data: Uint8Array }[];
}
