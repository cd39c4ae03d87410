/**
 * What mgmt-api.txt says only in prose: where each bitmask's bit table is, short names for
 * bits whose doc text is a sentence, which fields use which bitmask, and the two lists the
 * doc writes as "X { }" without a layout. Everything else comes from the doc's header blocks.
 */
import type { FieldSpec } from './model.js';

export interface FlagSetSource {
  set: string;
  section: string;
  /** A line just before the bit table. */
  anchor: RegExp;
  /** Names to use instead of the doc text; must have one entry per bit in the doc's table. */
  names?: string[];
}

export const FLAG_SET_SOURCES: FlagSetSource[] = [
  {
    set: 'settings',
    section: 'Read Controller Information Command',
    anchor: /Current_Settings and Supported_Settings is a bitmask/,
    names: [
      'powered',
      'connectable',
      'fast-connectable',
      'discoverable',
      'bondable',
      'link-security',
      'ssp',
      'br/edr',
      'hs',
      'le',
      'advertising',
      'secure-conn',
      'debug-keys',
      'privacy',
      'configuration',
      'static-address',
      'phy-configuration',
      'wideband-speech',
      'cis-central',
      'cis-peripheral',
      'iso-broadcaster',
      'sync-receiver',
      'll-privacy',
    ],
  },
  {
    set: 'addressTypes',
    section: 'Start Discovery Command',
    anchor: /Address_Type parameter are a bit-wise or/,
    names: ['bredr', 'le-public', 'le-random'],
  },
  {
    set: 'advFlags',
    section: 'Read Advertising Features Command',
    anchor: /possible values for the Flags/,
    names: [
      'connectable',
      'discoverable',
      'limited-discoverable',
      'managed-flags',
      'tx-power',
      'appearance',
      'local-name',
      'secondary-1m',
      'secondary-2m',
      'secondary-coded',
    ],
  },
  {
    set: 'phys',
    section: 'Get PHY Configuration Command',
    anchor: /PHYs parameters are a bitmask/,
  },
  {
    set: 'deviceFoundFlags',
    section: 'Device Found Event',
    anchor: /bits are defined for the Flags parameter/,
  },
  {
    set: 'deviceConnectedFlags',
    section: 'Device Connected Event',
    anchor: /bits are defined for the Flags parameter/,
  },
  {
    set: 'expFeatureFlags',
    section: 'Read Experimental Features Information Command',
    anchor: /bits are defined for the Flags parameter/,
    names: ['active', 'changes-supported-settings'],
  },
  {
    set: 'configOptions',
    section: 'Read Controller Configuration Information Command',
    anchor: /Supported_Options and Missing_Options is a bitmask/,
    names: ['external', 'public-address'],
  },
  {
    set: 'deviceFlags',
    section: 'Get Device Flags Command',
    anchor: /Flags parameters are a bitmask/,
  },
  {
    set: 'monitorFeatures',
    section: 'Read Advertisement Monitor Features Command',
    anchor: /Supported_Features and Enabled_Features are bitmasks/,
    names: ['or-patterns'],
  },
];

/** `<Message>.<field>` (or `*.<field>` for every message) → flag set. */
export const FIELD_FLAG_SETS: Record<string, string> = {
  '*.currentSettings': 'settings',
  '*.supportedSettings': 'settings',
  'AddAdvertising.flags': 'advFlags',
  'ReadAdvertisingFeatures.supportedFlags': 'advFlags',
  'GetAdvertisingSizeInformation.flags': 'advFlags',
  'AddExtendedAdvertisingParameters.flags': 'advFlags',
  '*.supportedPhys': 'phys',
  '*.configurablePhys': 'phys',
  '*.selectedPhys': 'phys',
  'DeviceFound.flags': 'deviceFoundFlags',
  'AdvertisementMonitorDeviceFound.flags': 'deviceFoundFlags',
  'MeshDeviceFound.flags': 'deviceFoundFlags',
  'DeviceConnected.flags': 'deviceConnectedFlags',
  'ReadExperimentalFeaturesInformation.flags': 'expFeatureFlags',
  'SetExperimentalFeature.flags': 'expFeatureFlags',
  'ExperimentalFeatureChanged.flags': 'expFeatureFlags',
  '*.supportedOptions': 'configOptions',
  '*.missingOptions': 'configOptions',
  'GetDeviceFlags.supportedFlags': 'deviceFlags',
  'GetDeviceFlags.currentFlags': 'deviceFlags',
  'SetDeviceFlags.currentFlags': 'deviceFlags',
  'DeviceFlagsChanged.supportedFlags': 'deviceFlags',
  'DeviceFlagsChanged.currentFlags': 'deviceFlags',
  'ReadAdvertisementMonitorFeatures.supportedFeatures': 'monitorFeatures',
  'ReadAdvertisementMonitorFeatures.enabledFeatures': 'monitorFeatures',
};

/** Doc spellings that name the same thing as elsewhere in the doc. */
export const FIELD_ALIASES: Record<string, string> = {
  Addr: 'Address',
  'Addr Type': 'Address_Type',
};

/**
 * Blocks the doc writes as "AD Types { }" / "Handle { }" with the layout only in prose:
 * Set Mesh Receiver takes a list of one-octet AD types, Read Mesh Features returns one
 * octet per queued packet handle (Used Handles of them).
 */
export const LIST_OVERRIDES: Record<string, FieldSpec[]> = {
  'SetMeshReceiver.Command Parameters': [
    { name: 'enable', type: 'u8' },
    { name: 'window', type: 'u16' },
    { name: 'period', type: 'u16' },
    { name: 'numAdTypes', type: 'count', size: 1, of: 'adTypes' },
    { name: 'adTypes', type: 'list', item: [{ name: 'adType', type: 'u8' }] },
  ],
  'ReadMeshFeatures.Return Parameters': [
    { name: 'index', type: 'u16' },
    { name: 'maxHandles', type: 'u8' },
    { name: 'usedHandles', type: 'count', size: 1, of: 'handles' },
    { name: 'handles', type: 'list', item: [{ name: 'handle', type: 'u8' }] },
  ],
};
