/**
 * Types derived from the generated table: what `send()` takes and returns for each command,
 * and what each event carries. Length and count fields are computed, so they do not appear.
 */
import type { AdvertisingDataInput } from '../protocol/index.js';
import type { EirData, FlagSetName, MgmtAddressType } from './codec.js';
import type { COMMANDS, EVENTS, FLAG_SETS } from './generated/protocol.js';

/** The name of a mgmt command, e.g. 'SetPowered'. */
export type CommandName = keyof typeof COMMANDS;
/** The name of a mgmt event, e.g. 'DeviceFound'. */
export type EventName = keyof typeof EVENTS;

/** A named bit of a bitmask; bits the doc does not name come as `bitN`. */
export type FlagName<S extends FlagSetName> =
  Exclude<(typeof FLAG_SETS)[S][number], null> | `bit${number}`;

/** A controller setting bit by name ('powered', 'le', ...). */
export type Setting = FlagName<'settings'>;

type Simplify<T> = { [K in keyof T]: T[K] } & {};
type Hidden = { type: 'len' | 'count' };

type OutOf<F> = F extends { type: 'u8' | 'u16' | 'u24' | 'u32' | 'i8' }
  ? number
  : F extends { type: 'address' | 'uuid' | 'string' }
    ? string
    : F extends { type: 'addressType' }
      ? MgmtAddressType
      : F extends { type: 'bytes' }
        ? Buffer
        : F extends { type: 'flags'; set: infer S extends FlagSetName }
          ? FlagName<S>[]
          : F extends { type: 'var' | 'rest'; ad: true }
            ? EirData
            : F extends { type: 'var' | 'rest' }
              ? Buffer
              : F extends { type: 'list'; item: readonly [infer I] }
                ? OutOf<I>[]
                : F extends { type: 'list'; item: infer Is extends readonly unknown[] }
                  ? OutObj<Is>[]
                  : F extends { type: 'struct'; fields: infer Fs extends readonly unknown[] }
                    ? OutObj<Fs>
                    : never;

type InOf<F> = F extends { type: 'u8' | 'u16' }
  ? number | boolean
  : F extends { type: 'u24' | 'u32' | 'i8' }
    ? number
    : F extends { type: 'address' | 'string' }
      ? string
      : F extends { type: 'uuid' }
        ? string | number
        : F extends { type: 'addressType' }
          ? MgmtAddressType
          : F extends { type: 'bytes' }
            ? Uint8Array
            : F extends { type: 'flags'; set: infer S extends FlagSetName }
              ? readonly FlagName<S>[] | number
              : F extends { type: 'var' | 'rest'; ad: true }
                ? Uint8Array | { raw: Uint8Array } | AdvertisingDataInput
                : F extends { type: 'var' | 'rest' }
                  ? Uint8Array
                  : F extends { type: 'list'; item: readonly [infer I] }
                    ? readonly InOf<I>[]
                    : F extends { type: 'list'; item: infer Is extends readonly unknown[] }
                      ? readonly InObj<Is>[]
                      : F extends { type: 'struct'; fields: infer Fs extends readonly unknown[] }
                        ? InObj<Fs>
                        : never;

type Req<Fs extends readonly unknown[]> = Exclude<Fs[number], Hidden | { optional: true }>;
type Opt<Fs extends readonly unknown[]> = Extract<Exclude<Fs[number], Hidden>, { optional: true }>;
type NameOf<F> = F extends { name: infer N extends string } ? N : never;

/** The object a list of decoded fields becomes. */
export type OutObj<Fs extends readonly unknown[]> = Simplify<
  { [F in Req<Fs> as NameOf<F>]: OutOf<F> } & { [F in Opt<Fs> as NameOf<F>]?: OutOf<F> }
>;
/** The object a list of fields to encode is given as. */
export type InObj<Fs extends readonly unknown[]> = Simplify<
  { [F in Req<Fs> as NameOf<F>]: InOf<F> } & { [F in Opt<Fs> as NameOf<F>]?: InOf<F> }
>;

/** Parameters of a command, as passed to `send()`. */
export type CommandParams<C extends CommandName> = InObj<(typeof COMMANDS)[C]['params']>;
/** Decoded Command Complete return parameters of a command. */
export type CommandReply<C extends CommandName> = OutObj<(typeof COMMANDS)[C]['reply']>;
/** Decoded parameters of an event. */
export type EventParams<E extends EventName> = OutObj<(typeof EVENTS)[E]['params']>;
/** Event parameters as `encodeEvent` takes them (tests, simulators). */
export type EventInput<E extends EventName> = InObj<(typeof EVENTS)[E]['params']>;
/** Reply parameters as `encodeReply` takes them (tests, simulators). */
export type ReplyInput<C extends CommandName> = InObj<(typeof COMMANDS)[C]['reply']>;

/** A decoded event with its controller index (0xFFFF: not about a controller). */
export interface MgmtEvent<E extends EventName = EventName> {
  name: E;
  code: number;
  index: number;
  params: EventParams<E>;
}

/** An event whose code the table does not know: passed on undecoded. */
export interface RawMgmtEvent {
  name: 'Unknown';
  code: number;
  index: number;
  data: Buffer;
}

/** Any event the kernel sends: a known one, typed by name, or a raw one. */
export type AnyMgmtEvent = { [E in EventName]: MgmtEvent<E> }[EventName] | RawMgmtEvent;
