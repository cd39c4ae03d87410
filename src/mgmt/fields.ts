/**
 * Shape of the generated protocol table (src/mgmt/generated/protocol.ts): one field spec per
 * parameter of a command, reply or event. The runtime codec interprets these; the generator
 * produces them from BlueZ's doc/mgmt-api.txt.
 */
export type FieldSpec = (
  | { type: 'u8' | 'u16' | 'u24' | 'u32' | 'i8' | 'address' | 'addressType' | 'uuid' }
  /** Fixed-size opaque bytes (keys, hashes, random numbers). */
  | { type: 'bytes'; size: number }
  /** Fixed-size NUL-padded UTF-8 text. */
  | { type: 'string'; size: number }
  /** Bitmask; `set` names a FLAG_SETS entry. */
  | { type: 'flags'; size: number; set: string }
  /** Byte length of the variable field `of`; computed on encode, hidden from the typed object. */
  | { type: 'len'; size: number; of: string }
  /** Item count of the list `of`; computed on encode, hidden from the typed object. */
  | { type: 'count'; size: number; of: string }
  /** Bytes whose length a `len` field gives; `ad` marks EIR/AD-formatted data. */
  | { type: 'var'; ad?: boolean }
  /** Everything up to the end of the frame. */
  | { type: 'rest'; ad?: boolean }
  /** Repeated item; counted by a `count` field, or running to the end of the frame. */
  | { type: 'list'; item: FieldSpec[] }
  | { type: 'struct'; fields: FieldSpec[] }
) & {
  name: string;
  /** Trailing field the sender may leave out. */
  optional?: boolean;
  /** Generator-only: the doc's spelling, dropped before output. */
  docName?: string;
};

export type IndexKind = 'controller' | 'none' | 'any';

export interface MessageSpec {
  name: string;
  code: number;
  /** Which Controller Index values the doc allows: a controller, 0xFFFF, or either. */
  index: IndexKind;
  params: FieldSpec[];
  /** Commands only: the Command Complete return parameters. */
  reply?: FieldSpec[];
}

export interface FlagSetSpec {
  name: string;
  /** Name of each bit, by bit number; null for reserved bits. */
  bits: (string | null)[];
}
