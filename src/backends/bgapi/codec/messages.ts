import type { Fields, FieldValues } from './fields.js';

// The BGAPI v1 messages a central uses, from the BLE112/BLED112 "Bluetooth Smart Software API
// Reference".

/** BGAPI message classes: the header's class byte. */
export const MessageClass = {
  system: 0,
  flash: 1,
  attributes: 2,
  connection: 3,
  attclient: 4,
  sm: 5,
  gap: 6,
  hardware: 7,
  test: 8,
} as const;

interface CommandDef {
  readonly cls: number;
  readonly id: number;
  readonly params: Fields;
  readonly returns: Fields | null;
}

interface EventDef {
  readonly cls: number;
  readonly id: number;
  readonly params: Fields;
}

const C = MessageClass;
const conn = { connection: 'u8' } as const;
const connResult = { connection: 'u8', result: 'u16' } as const;
const result = { result: 'u16' } as const;
const version = {
  major: 'u16',
  minor: 'u16',
  patch: 'u16',
  build: 'u16',
  llVersion: 'u16',
  protocolVersion: 'u8',
  hw: 'u8',
} as const;

/**
 * Every command a central sends, by name: class and command IDs, parameters in wire order,
 * and what the response carries. `returns: null` marks the one command that gets no response
 * (system_reset: the dongle reboots and announces itself with system_boot instead).
 */
export const COMMANDS = {
  system_reset: { cls: C.system, id: 0, params: { bootInDfu: 'u8' }, returns: null },
  system_hello: { cls: C.system, id: 1, params: {}, returns: {} },
  system_address_get: { cls: C.system, id: 2, params: {}, returns: { address: 'bdaddr' } },
  system_get_counters: {
    cls: C.system,
    id: 5,
    params: {},
    returns: { txok: 'u8', txretry: 'u8', rxok: 'u8', rxfail: 'u8', mbuf: 'u8' },
  },
  system_get_connections: { cls: C.system, id: 6, params: {}, returns: { maxconn: 'u8' } },
  system_get_info: { cls: C.system, id: 8, params: {}, returns: version },
  system_whitelist_append: {
    cls: C.system,
    id: 10,
    params: { address: 'bdaddr', addressType: 'u8' },
    returns: result,
  },
  system_whitelist_remove: {
    cls: C.system,
    id: 11,
    params: { address: 'bdaddr', addressType: 'u8' },
    returns: result,
  },
  system_whitelist_clear: { cls: C.system, id: 12, params: {}, returns: {} },

  attributes_write: {
    cls: C.attributes,
    id: 0,
    params: { handle: 'u16', offset: 'u8', value: 'bytes' },
    returns: result,
  },
  attributes_read: {
    cls: C.attributes,
    id: 1,
    params: { handle: 'u16', offset: 'u16' },
    returns: { handle: 'u16', offset: 'u16', result: 'u16', value: 'bytes' },
  },
  attributes_read_type: {
    cls: C.attributes,
    id: 2,
    params: { handle: 'u16' },
    returns: { handle: 'u16', result: 'u16', value: 'bytes' },
  },
  attributes_user_read_response: {
    cls: C.attributes,
    id: 3,
    params: { connection: 'u8', attError: 'u8', value: 'bytes' },
    returns: {},
  },
  attributes_user_write_response: {
    cls: C.attributes,
    id: 4,
    params: { connection: 'u8', attError: 'u8' },
    returns: {},
  },

  connection_disconnect: { cls: C.connection, id: 0, params: conn, returns: connResult },
  connection_get_rssi: {
    cls: C.connection,
    id: 1,
    params: conn,
    returns: { connection: 'u8', rssi: 'i8' },
  },
  connection_update: {
    cls: C.connection,
    id: 2,
    params: {
      connection: 'u8',
      intervalMin: 'u16',
      intervalMax: 'u16',
      latency: 'u16',
      timeout: 'u16',
    },
    returns: connResult,
  },
  connection_version_update: { cls: C.connection, id: 3, params: conn, returns: connResult },
  connection_channel_map_get: {
    cls: C.connection,
    id: 4,
    params: conn,
    returns: { connection: 'u8', map: 'bytes' },
  },
  connection_channel_map_set: {
    cls: C.connection,
    id: 5,
    params: { connection: 'u8', map: 'bytes' },
    returns: connResult,
  },
  connection_features_get: { cls: C.connection, id: 6, params: conn, returns: connResult },
  connection_get_status: { cls: C.connection, id: 7, params: conn, returns: conn },
  connection_raw_tx: {
    cls: C.connection,
    id: 8,
    params: { connection: 'u8', data: 'bytes' },
    returns: conn,
  },

  attclient_find_by_type_value: {
    cls: C.attclient,
    id: 0,
    params: { connection: 'u8', start: 'u16', end: 'u16', uuid: 'u16', value: 'bytes' },
    returns: connResult,
  },
  attclient_read_by_group_type: {
    cls: C.attclient,
    id: 1,
    params: { connection: 'u8', start: 'u16', end: 'u16', uuid: 'bytes' },
    returns: connResult,
  },
  attclient_read_by_type: {
    cls: C.attclient,
    id: 2,
    params: { connection: 'u8', start: 'u16', end: 'u16', uuid: 'bytes' },
    returns: connResult,
  },
  attclient_find_information: {
    cls: C.attclient,
    id: 3,
    params: { connection: 'u8', start: 'u16', end: 'u16' },
    returns: connResult,
  },
  attclient_read_by_handle: {
    cls: C.attclient,
    id: 4,
    params: { connection: 'u8', chrhandle: 'u16' },
    returns: connResult,
  },
  attclient_attribute_write: {
    cls: C.attclient,
    id: 5,
    params: { connection: 'u8', atthandle: 'u16', data: 'bytes' },
    returns: connResult,
  },
  attclient_write_command: {
    cls: C.attclient,
    id: 6,
    params: { connection: 'u8', atthandle: 'u16', data: 'bytes' },
    returns: connResult,
  },
  attclient_indicate_confirm: { cls: C.attclient, id: 7, params: conn, returns: result },
  attclient_read_long: {
    cls: C.attclient,
    id: 8,
    params: { connection: 'u8', chrhandle: 'u16' },
    returns: connResult,
  },
  attclient_prepare_write: {
    cls: C.attclient,
    id: 9,
    params: { connection: 'u8', atthandle: 'u16', offset: 'u16', data: 'bytes' },
    returns: connResult,
  },
  attclient_execute_write: {
    cls: C.attclient,
    id: 10,
    params: { connection: 'u8', commit: 'u8' },
    returns: connResult,
  },
  attclient_read_multiple: {
    cls: C.attclient,
    id: 11,
    params: { connection: 'u8', handles: 'bytes' },
    returns: connResult,
  },

  sm_encrypt_start: {
    cls: C.sm,
    id: 0,
    params: { handle: 'u8', bonding: 'u8' },
    returns: { handle: 'u8', result: 'u16' },
  },
  sm_set_bondable_mode: { cls: C.sm, id: 1, params: { bondable: 'u8' }, returns: {} },
  sm_delete_bonding: { cls: C.sm, id: 2, params: { handle: 'u8' }, returns: result },
  sm_set_parameters: {
    cls: C.sm,
    id: 3,
    params: { mitm: 'u8', minKeySize: 'u8', ioCapabilities: 'u8' },
    returns: {},
  },
  sm_passkey_entry: {
    cls: C.sm,
    id: 4,
    params: { handle: 'u8', passkey: 'u32' },
    returns: result,
  },
  sm_get_bonds: { cls: C.sm, id: 5, params: {}, returns: { bonds: 'u8' } },
  sm_set_oob_data: { cls: C.sm, id: 6, params: { oob: 'bytes' }, returns: {} },

  gap_set_privacy_flags: {
    cls: C.gap,
    id: 0,
    params: { peripheralPrivacy: 'u8', centralPrivacy: 'u8' },
    returns: {},
  },
  gap_set_mode: { cls: C.gap, id: 1, params: { discover: 'u8', connect: 'u8' }, returns: result },
  gap_discover: { cls: C.gap, id: 2, params: { mode: 'u8' }, returns: result },
  gap_connect_direct: {
    cls: C.gap,
    id: 3,
    params: {
      address: 'bdaddr',
      addrType: 'u8',
      connIntervalMin: 'u16',
      connIntervalMax: 'u16',
      timeout: 'u16',
      latency: 'u16',
    },
    returns: { result: 'u16', connectionHandle: 'u8' },
  },
  gap_end_procedure: { cls: C.gap, id: 4, params: {}, returns: result },
  gap_connect_selective: {
    cls: C.gap,
    id: 5,
    params: { connIntervalMin: 'u16', connIntervalMax: 'u16', timeout: 'u16', latency: 'u16' },
    returns: { result: 'u16', connectionHandle: 'u8' },
  },
  gap_set_filtering: {
    cls: C.gap,
    id: 6,
    params: { scanPolicy: 'u8', advPolicy: 'u8', scanDuplicateFiltering: 'u8' },
    returns: result,
  },
  gap_set_scan_parameters: {
    cls: C.gap,
    id: 7,
    params: { scanInterval: 'u16', scanWindow: 'u16', active: 'u8' },
    returns: result,
  },
  gap_set_adv_parameters: {
    cls: C.gap,
    id: 8,
    params: { advIntervalMin: 'u16', advIntervalMax: 'u16', advChannels: 'u8' },
    returns: result,
  },
  gap_set_adv_data: {
    cls: C.gap,
    id: 9,
    params: { setScanrsp: 'u8', advData: 'bytes' },
    returns: result,
  },
  gap_set_directed_connectable_mode: {
    cls: C.gap,
    id: 10,
    params: { address: 'bdaddr', addrType: 'u8' },
    returns: result,
  },
} as const satisfies Record<string, CommandDef>;

/** Every event the codec decodes, by name: class and event IDs and parameters in wire order. */
export const EVENTS = {
  system_boot: { cls: C.system, id: 0, params: version },
  system_script_failure: { cls: C.system, id: 4, params: { address: 'u16', reason: 'u16' } },
  system_no_license_key: { cls: C.system, id: 5, params: {} },
  system_protocol_error: { cls: C.system, id: 6, params: { reason: 'u16' } },

  attributes_value: {
    cls: C.attributes,
    id: 0,
    params: { connection: 'u8', reason: 'u8', handle: 'u16', offset: 'u16', value: 'bytes' },
  },
  attributes_user_read_request: {
    cls: C.attributes,
    id: 1,
    params: { connection: 'u8', handle: 'u16', offset: 'u16', maxsize: 'u8' },
  },
  attributes_status: { cls: C.attributes, id: 2, params: { handle: 'u16', flags: 'u8' } },

  connection_status: {
    cls: C.connection,
    id: 0,
    params: {
      connection: 'u8',
      flags: 'u8',
      address: 'bdaddr',
      addressType: 'u8',
      connInterval: 'u16',
      timeout: 'u16',
      latency: 'u16',
      bonding: 'u8',
    },
  },
  connection_version_ind: {
    cls: C.connection,
    id: 1,
    params: { connection: 'u8', versNr: 'u8', compId: 'u16', subVersNr: 'u16' },
  },
  connection_feature_ind: {
    cls: C.connection,
    id: 2,
    params: { connection: 'u8', features: 'bytes' },
  },
  connection_raw_rx: { cls: C.connection, id: 3, params: { connection: 'u8', data: 'bytes' } },
  connection_disconnected: {
    cls: C.connection,
    id: 4,
    params: { connection: 'u8', reason: 'u16' },
  },

  attclient_indicated: { cls: C.attclient, id: 0, params: { connection: 'u8', attrhandle: 'u16' } },
  attclient_procedure_completed: {
    cls: C.attclient,
    id: 1,
    params: { connection: 'u8', result: 'u16', chrhandle: 'u16' },
  },
  attclient_group_found: {
    cls: C.attclient,
    id: 2,
    params: { connection: 'u8', start: 'u16', end: 'u16', uuid: 'bytes' },
  },
  attclient_attribute_found: {
    cls: C.attclient,
    id: 3,
    params: { connection: 'u8', chrdecl: 'u16', value: 'u16', properties: 'u8', uuid: 'bytes' },
  },
  attclient_find_information_found: {
    cls: C.attclient,
    id: 4,
    params: { connection: 'u8', chrhandle: 'u16', uuid: 'bytes' },
  },
  attclient_attribute_value: {
    cls: C.attclient,
    id: 5,
    params: { connection: 'u8', atthandle: 'u16', type: 'u8', value: 'bytes' },
  },
  attclient_read_multiple_response: {
    cls: C.attclient,
    id: 6,
    params: { connection: 'u8', handles: 'bytes' },
  },

  sm_smp_data: { cls: C.sm, id: 0, params: { handle: 'u8', packet: 'u8', data: 'bytes' } },
  sm_bonding_fail: { cls: C.sm, id: 1, params: { handle: 'u8', result: 'u16' } },
  sm_passkey_display: { cls: C.sm, id: 2, params: { handle: 'u8', passkey: 'u32' } },
  sm_passkey_request: { cls: C.sm, id: 3, params: { handle: 'u8' } },
  sm_bond_status: {
    cls: C.sm,
    id: 4,
    params: { bond: 'u8', keysize: 'u8', mitm: 'u8', keys: 'u8' },
  },

  gap_scan_response: {
    cls: C.gap,
    id: 0,
    params: {
      rssi: 'i8',
      packetType: 'u8',
      sender: 'bdaddr',
      addressType: 'u8',
      bond: 'u8',
      data: 'bytes',
    },
  },
  gap_mode_changed: { cls: C.gap, id: 1, params: { discover: 'u8', connect: 'u8' } },
} as const satisfies Record<string, EventDef>;

/** A command's name in COMMANDS, e.g. 'gap_discover'. */
export type CommandName = keyof typeof COMMANDS;
/** An event's name in EVENTS, e.g. 'gap_scan_response'. */
export type EventName = keyof typeof EVENTS;
/** Commands the dongle answers (all but system_reset). */
export type AnsweredCommandName = {
  [N in CommandName]: (typeof COMMANDS)[N]['returns'] extends Fields ? N : never;
}[CommandName];

/** The parameters of command `N`, by field name (numbers, address strings, Buffers). */
export type CommandParams<N extends CommandName> = FieldValues<(typeof COMMANDS)[N]['params']>;
/** What the response to command `N` carries, by field name. */
export type ResponseParams<N extends AnsweredCommandName> = FieldValues<
  Exclude<(typeof COMMANDS)[N]['returns'], null>
>;
/** The parameters of event `N`, by field name. */
export type EventParams<N extends EventName> = FieldValues<(typeof EVENTS)[N]['params']>;

/** Values of BGAPI enumerations a central needs. */
export const AttributeValueType = {
  read: 0,
  notify: 1,
  indicate: 2,
  readByType: 3,
  readBlob: 4,
  indicateRspReq: 5,
} as const;

/** Bits of connection_status's `flags`. */
export const ConnectionStatusFlag = {
  connected: 0x01,
  encrypted: 0x02,
  completed: 0x04,
  parametersChange: 0x08,
} as const;

/** gap_discover's `mode`: which advertisers to report (observation: all of them). */
export const GapDiscoverMode = { limited: 0, generic: 1, observation: 2 } as const;
/** gap_scan_response's `packetType`: the kind of advertising PDU that was received. */
export const ScanPacketType = {
  connectable: 0,
  directed: 1,
  nonConnectable: 2,
  scanResponse: 4,
  discoverable: 6,
} as const;
/** Values of the `addressType` / `addrType` fields: public or random. */
export const GapAddressType = { public: 0, random: 1 } as const;
/** `bond` / `bonding` value meaning "no bond stored for this peer". */
export const NO_BOND = 0xff;
