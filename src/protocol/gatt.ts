/**
 * GATT's 16-bit attribute types (Core Vol 3 Part G 3.1-3.3): the declarations that shape a
 * server's database and the descriptors the spec defines. Property bits and CCCD values are in
 * gatt-properties.ts.
 */
export const GattUuid16 = {
  PrimaryService: 0x2800,
  SecondaryService: 0x2801,
  Include: 0x2802,
  Characteristic: 0x2803,
  ExtendedProperties: 0x2900,
  UserDescription: 0x2901,
  /** Client Characteristic Configuration: the descriptor a client writes to subscribe. */
  Cccd: 0x2902,
  ServerConfiguration: 0x2903,
  PresentationFormat: 0x2904,
  AggregateFormat: 0x2905,
} as const;

/** The 2-byte little-endian form of a 16-bit attribute type, as ATT requests carry it. */
export function uuid16Bytes(v: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(v);
  return b;
}
