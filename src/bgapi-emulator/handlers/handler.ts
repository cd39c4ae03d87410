import type { BgapiCommand, CommandName } from '../../backends/bgapi/codec/index.js';
import type { DongleState } from '../state.js';

/** The decoded command named N. */
export type Command<N extends CommandName> = Extract<BgapiCommand, { name: N }>;

/** Carries out one command: answers it and sends whatever events follow. */
export type Handler<N extends CommandName> = (
  d: DongleState,
  c: Command<N>,
) => void | Promise<void>;

/** One handler for every command of a BGAPI class (`system`, `gap`, ...): none can be left out. */
export type ClassHandlers<P extends string> = {
  [N in Extract<CommandName, `${P}_${string}`>]: Handler<N>;
};
