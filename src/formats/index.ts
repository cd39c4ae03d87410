// Open advertisement formats: BTHome v2 (decode and encode), iBeacon, Eddystone.
export * from './bthome.js';
export {
  BTHOME_OBJECTS,
  BUTTON_EVENTS,
  DIMMER_EVENTS,
  type BthomeKind,
  type BthomeObject,
} from './bthome-objects.js';
export * from './ibeacon.js';
export * from './eddystone.js';
