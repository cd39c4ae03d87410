import type { CommandName } from '../../backends/bgapi/codec/index.js';
import { attclient } from './attclient.js';
import { attributes } from './attributes.js';
import { connection } from './connection.js';
import { gap } from './gap.js';
import type { Handler } from './handler.js';
import { sm } from './sm.js';
import { system } from './system.js';

/** Every command the emulated dongle knows, by name; the type checker sees none is missing. */
export const HANDLERS: { [N in CommandName]: Handler<N> } = {
  ...system,
  ...attributes,
  ...connection,
  ...attclient,
  ...sm,
  ...gap,
};
