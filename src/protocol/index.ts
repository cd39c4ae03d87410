// Bluetooth protocol facts and codecs, shared by every backend and both roles: ATT constants and
// error codes, GATT declarations, property bits and CCCD values, AD types with their decoder and
// encoder, SIG names of assigned UUIDs, and decoders of SIG characteristic value formats.
// Depends only on core's leaf modules (errors, uuid, describe).
export * from './att.js';
export * from './gatt.js';
export * from './gatt-properties.js';
export * from './ad-types.js';
export * from './advertising.js';
export { emptyAdvertisingData, parseAdvertisingData, splitAdStructures } from './ad-decode.js';
export { encodeAdvertisingData, type EncodeAdvertisingOptions } from './ad-encode.js';
export * from './sig-names.js';
export { decodeValue, hasDecoder, tryDecode, type DecodedValue } from './decoders.js';
export { readFloat32, readSfloat } from './sfloat.js';
