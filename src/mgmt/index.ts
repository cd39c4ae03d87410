/** The Linux kernel's Bluetooth Management API (mgmt), complete per BlueZ's doc/mgmt-api.txt. */
export { Mgmt } from './mgmt.js';
export type { EventsOptions, MgmtListeners, MgmtOptions, SendOptions } from './mgmt.js';
export { MgmtError, statusName } from './mgmt-error.js';
export { openControlSocket } from './transport.js';
export type { MgmtTransport } from './transport.js';
export {
  COMMAND_NAMES,
  EVENT_NAMES,
  NON_CONTROLLER,
  commandSpec,
  decodeCommand,
  decodeEvent,
  decodeReply,
  encodeCommand,
  encodeEvent,
  encodeReply,
  eventSpec,
} from './frame.js';
export { ADDRESS_TYPES } from './codec.js';
export type { EirData, FlagSetName, MgmtAddressType } from './codec.js';
export type * from './types.js';
export {
  COMMANDS,
  EVENTS,
  FLAG_SETS,
  MGMT_DOC_REVISION,
  STATUS_NAMES,
} from './generated/protocol.js';
