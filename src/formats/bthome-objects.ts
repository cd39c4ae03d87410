/**
 * The BTHome v2 object table (bthome.io/format): each object id's name, size, scaling and unit.
 * Names follow Home Assistant's device classes where one fits, so discovery can reuse them.
 * Binary sensors whose name would collide with a measurement get a suffix (battery_low).
 */
export type BthomeKind = 'sensor' | 'binary' | 'event' | 'text' | 'raw' | 'info';

/** One row of the BTHome v2 object table: how an object id is sized, scaled and named. */
export interface BthomeObject {
  id: number;
  name: string;
  kind: BthomeKind;
  /** Bytes of the value; 0 for text and raw, which carry their own length byte. */
  size: number;
  signed: boolean;
  /** Multiply the raw integer by this for the value in `unit`. */
  factor: number;
  unit?: string;
}

type Row = [id: number, name: string, size: number, factor: number, unit?: string];

// [id, name, size (negative: signed), factor, unit]
const SENSORS: Row[] = [
  [0x01, 'battery', 1, 1, '%'],
  [0x02, 'temperature', -2, 0.01, '°C'],
  [0x03, 'humidity', 2, 0.01, '%'],
  [0x04, 'pressure', 3, 0.01, 'hPa'],
  [0x05, 'illuminance', 3, 0.01, 'lx'],
  [0x06, 'mass', 2, 0.01, 'kg'],
  [0x07, 'mass_lb', 2, 0.01, 'lb'],
  [0x08, 'dew_point', -2, 0.01, '°C'],
  [0x09, 'count', 1, 1],
  [0x0a, 'energy', 3, 0.001, 'kWh'],
  [0x0b, 'power', 3, 0.01, 'W'],
  [0x0c, 'voltage', 2, 0.001, 'V'],
  [0x0d, 'pm25', 2, 1, 'µg/m³'],
  [0x0e, 'pm10', 2, 1, 'µg/m³'],
  [0x12, 'carbon_dioxide', 2, 1, 'ppm'],
  [0x13, 'volatile_organic_compounds', 2, 1, 'µg/m³'],
  [0x14, 'moisture', 2, 0.01, '%'],
  [0x2e, 'humidity', 1, 1, '%'],
  [0x2f, 'moisture', 1, 1, '%'],
  [0x3d, 'count', 2, 1],
  [0x3e, 'count', 4, 1],
  [0x3f, 'rotation', -2, 0.1, '°'],
  [0x40, 'distance', 2, 1, 'mm'],
  [0x41, 'distance_m', 2, 0.1, 'm'],
  [0x42, 'duration', 3, 0.001, 's'],
  [0x43, 'current', 2, 0.001, 'A'],
  [0x44, 'speed', 2, 0.01, 'm/s'],
  [0x45, 'temperature', -2, 0.1, '°C'],
  [0x46, 'uv_index', 1, 0.1],
  [0x47, 'volume', 2, 0.1, 'L'],
  [0x48, 'volume_ml', 2, 1, 'mL'],
  [0x49, 'volume_flow_rate', 2, 0.001, 'm³/h'],
  [0x4a, 'voltage', 2, 0.1, 'V'],
  [0x4b, 'gas', 3, 0.001, 'm³'],
  [0x4c, 'gas', 4, 0.001, 'm³'],
  [0x4d, 'energy', 4, 0.001, 'kWh'],
  [0x4e, 'volume', 4, 0.001, 'L'],
  [0x4f, 'water', 4, 0.001, 'L'],
  [0x50, 'timestamp', 4, 1, 's'],
  [0x51, 'acceleration', 2, 0.001, 'm/s²'],
  [0x52, 'gyroscope', 2, 0.001, '°/s'],
  [0x55, 'volume_storage', 4, 0.001, 'L'],
  [0x56, 'conductivity', 2, 1, 'µS/cm'],
  [0x57, 'temperature', -1, 1, '°C'],
  [0x58, 'temperature', -1, 0.35, '°C'],
  [0x59, 'count', -1, 1],
  [0x5a, 'count', -2, 1],
  [0x5b, 'count', -4, 1],
  [0x5c, 'power', -4, 0.01, 'W'],
  [0x5d, 'current', -2, 0.001, 'A'],
  [0x5e, 'direction', 2, 0.01, '°'],
  [0x5f, 'precipitation', 2, 0.1, 'mm'],
  [0x60, 'channel', 1, 1],
  [0x61, 'rotational_speed', 2, 1, 'rpm'],
];

const BINARY: [number, string][] = [
  [0x0f, 'generic_boolean'],
  [0x10, 'power_on'],
  [0x11, 'opening'],
  [0x15, 'battery_low'],
  [0x16, 'battery_charging'],
  [0x17, 'carbon_monoxide'],
  [0x18, 'cold'],
  [0x19, 'connectivity'],
  [0x1a, 'door'],
  [0x1b, 'garage_door'],
  [0x1c, 'gas_detected'],
  [0x1d, 'heat'],
  [0x1e, 'light'],
  [0x1f, 'lock'],
  [0x20, 'moisture_detected'],
  [0x21, 'motion'],
  [0x22, 'moving'],
  [0x23, 'occupancy'],
  [0x24, 'plug'],
  [0x25, 'presence'],
  [0x26, 'problem'],
  [0x27, 'running'],
  [0x28, 'safety'],
  [0x29, 'smoke'],
  [0x2a, 'sound'],
  [0x2b, 'tamper'],
  [0x2c, 'vibration'],
  [0x2d, 'window'],
];

function object(
  id: number,
  name: string,
  kind: BthomeKind,
  size: number,
  factor = 1,
  unit?: string,
): BthomeObject {
  const o: BthomeObject = { id, name, kind, size: Math.abs(size), signed: size < 0, factor };
  if (unit !== undefined) o.unit = unit;
  return o;
}

/** Every object id blekit knows, by id. */
export const BTHOME_OBJECTS: ReadonlyMap<number, BthomeObject> = new Map(
  [
    object(0x00, 'packet_id', 'info', 1),
    ...SENSORS.map(([id, name, size, factor, unit]) =>
      object(id, name, 'sensor', size, factor, unit),
    ),
    ...BINARY.map(([id, name]) => object(id, name, 'binary', 1)),
    object(0x3a, 'button', 'event', 1),
    object(0x3c, 'dimmer', 'event', 2),
    object(0x53, 'text', 'text', 0),
    object(0x54, 'raw', 'raw', 0),
    object(0xf0, 'device_type', 'info', 2),
    object(0xf1, 'firmware_version', 'info', 4),
    object(0xf2, 'firmware_version', 'info', 3),
  ].map((o) => [o.id, o]),
);

/** Names of the button event values (object 0x3a). */
export const BUTTON_EVENTS: Readonly<Record<number, string>> = {
  0x00: 'none',
  0x01: 'press',
  0x02: 'double_press',
  0x03: 'triple_press',
  0x04: 'long_press',
  0x05: 'long_double_press',
  0x06: 'long_triple_press',
  0x80: 'hold_press',
};

/** Names of the dimmer event values (object 0x3c, first byte). */
export const DIMMER_EVENTS: Readonly<Record<number, string>> = {
  0x00: 'none',
  0x01: 'rotate_left',
  0x02: 'rotate_right',
};

/** Decimal places that show a value scaled by `factor` exactly (0.01 → 2, 0.35 → 2). */
export function decimalsOf(factor: number): number {
  const s = String(factor);
  const dot = s.indexOf('.');
  return dot < 0 ? 0 : s.length - dot - 1;
}
