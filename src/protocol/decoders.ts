import { DecodeError } from '../core/errors.js';
import { uuidAlias } from '../core/uuid.js';
import { readFloat32 } from './sfloat.js';

/** A value decoded by its SIG format: machine fields and one line for people. */
export interface DecodedValue {
  /** The format's SIG name, e.g. 'Heart Rate Measurement'. */
  format: string;
  value: unknown;
  text: string;
}

type Decoder = (b: Buffer) => { value: unknown; text: string };

function need(b: Buffer, n: number, what: string, exact = true): void {
  if (exact ? b.length !== n : b.length < n) {
    throw new DecodeError(`${what} needs ${exact ? '' : 'at least '}${n} bytes, got ${b.length}`, {
      offset: Math.min(b.length, n),
    });
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function text(what: string): Decoder {
  return (b) => {
    let s: string;
    try {
      s = utf8.decode(b);
    } catch {
      throw new DecodeError(`${what} is not valid UTF-8`);
    }
    // Some devices pad strings with NULs.
    s = s.replace(/\0+$/, '');
    return { value: s, text: JSON.stringify(s) };
  };
}

function enumOf(what: string, names: readonly string[]): Decoder {
  return (b) => {
    need(b, 1, what);
    const v = b[0] as number;
    const name = names[v];
    return { value: { code: v, name: name ?? null }, text: name ?? `reserved (${v})` };
  };
}

const BODY_SENSOR_LOCATIONS = ['Other', 'Chest', 'Wrist', 'Finger', 'Hand', 'Ear Lobe', 'Foot'];
const TEMPERATURE_TYPES = [
  '',
  'Armpit',
  'Body (general)',
  'Ear (usually ear lobe)',
  'Finger',
  'Gastro-intestinal Tract',
  'Mouth',
  'Rectum',
  'Toe',
  'Tympanum (ear drum)',
];

/** Appearance categories (bits 15..6), from Assigned Numbers 2.6. */
const APPEARANCE_CATEGORIES: Record<number, string> = {
  0: 'Unknown',
  1: 'Phone',
  2: 'Computer',
  3: 'Watch',
  4: 'Clock',
  5: 'Display',
  6: 'Remote Control',
  7: 'Eye-glasses',
  8: 'Tag',
  9: 'Keyring',
  10: 'Media Player',
  11: 'Barcode Scanner',
  12: 'Thermometer',
  13: 'Heart Rate Sensor',
  14: 'Blood Pressure',
  15: 'Human Interface Device',
  16: 'Glucose Meter',
  17: 'Running Walking Sensor',
  18: 'Cycling',
  19: 'Control Device',
  20: 'Network Device',
  21: 'Sensor',
  22: 'Light Fixtures',
  23: 'Fan',
  24: 'HVAC',
  49: 'Pulse Oximeter',
  50: 'Weight Scale',
};

const APPEARANCE_SUBCATEGORIES: Record<number, string> = {
  0x00c1: 'Sports Watch',
  0x0301: 'Ear Thermometer',
  0x0341: 'Heart Rate Belt',
  0x0381: 'Arm Blood Pressure',
  0x0382: 'Wrist Blood Pressure',
  0x03c1: 'Keyboard',
  0x03c2: 'Mouse',
  0x03c3: 'Joystick',
  0x03c4: 'Gamepad',
};

function dateTime(b: Buffer, o: number): string {
  const year = b.readUInt16LE(o);
  const [mo, d, h, mi, s] = [...b.subarray(o + 2, o + 7)] as number[];
  const p = (n: number | undefined): string => String(n ?? 0).padStart(2, '0');
  return `${String(year).padStart(4, '0')}-${p(mo)}-${p(d)}T${p(h)}:${p(mi)}:${p(s)}`;
}

const heartRate: Decoder = (b) => {
  need(b, 2, 'Heart Rate Measurement', false);
  const flags = b[0] as number;
  let o = 1;
  const wide = (flags & 0x01) !== 0;
  need(b, wide ? 3 : 2, 'Heart Rate Measurement', false);
  const bpm = wide ? b.readUInt16LE(o) : (b[o] as number);
  o += wide ? 2 : 1;
  const contactSupported = (flags & 0x04) !== 0;
  const value: Record<string, unknown> = { bpm };
  if (contactSupported) value.sensorContact = (flags & 0x02) !== 0;
  if (flags & 0x08) {
    if (o + 2 > b.length) throw new DecodeError('Energy Expended is cut short', { offset: o });
    value.energyExpendedKj = b.readUInt16LE(o);
    o += 2;
  }
  if (flags & 0x10) {
    if ((b.length - o) % 2 !== 0) {
      throw new DecodeError('RR-Interval list has an odd number of bytes', { offset: o });
    }
    const rr: number[] = [];
    for (; o < b.length; o += 2) rr.push(Number((b.readUInt16LE(o) / 1024).toFixed(4)));
    value.rrIntervalsS = rr;
  } else if (o !== b.length) {
    throw new DecodeError(`${b.length - o} unexpected bytes after the fields`, { offset: o });
  }
  const parts = [`${bpm} bpm`];
  if (contactSupported) parts.push(value.sensorContact ? 'contact' : 'no contact');
  if (value.energyExpendedKj !== undefined) parts.push(`${String(value.energyExpendedKj)} kJ`);
  if (value.rrIntervalsS) parts.push(`RR ${(value.rrIntervalsS as number[]).join(', ')} s`);
  return { value, text: parts.join(', ') };
};

const temperatureMeasurement: Decoder = (b) => {
  need(b, 5, 'Temperature Measurement', false);
  const flags = b[0] as number;
  const unit = flags & 0x01 ? '°F' : '°C';
  const value: Record<string, unknown> = { temperature: readFloat32(b, 1), unit };
  let o = 5;
  if (flags & 0x02) {
    if (o + 7 > b.length) throw new DecodeError('Time Stamp is cut short', { offset: o });
    value.timestamp = dateTime(b, o);
    o += 7;
  }
  if (flags & 0x04) {
    if (o + 1 > b.length) throw new DecodeError('Temperature Type is missing', { offset: o });
    value.type = TEMPERATURE_TYPES[b[o] as number] || `reserved (${b[o] as number})`;
    o += 1;
  }
  if (o !== b.length) {
    throw new DecodeError(`${b.length - o} unexpected bytes after the fields`, { offset: o });
  }
  const parts = [`${String(value.temperature)} ${unit}`];
  if (value.timestamp) parts.push(String(value.timestamp));
  if (value.type) parts.push(String(value.type));
  return { value, text: parts.join(', ') };
};

/** Characteristic and descriptor formats blekit decodes, by 16-bit UUID. */
const DECODERS = new Map<number, [string, Decoder]>([
  [0x2a00, ['Device Name', text('Device Name')]],
  [
    0x2a01,
    [
      'Appearance',
      (b) => {
        need(b, 2, 'Appearance');
        const v = b.readUInt16LE(0);
        const category = APPEARANCE_CATEGORIES[v >> 6] ?? `category ${v >> 6}`;
        const sub = APPEARANCE_SUBCATEGORIES[v];
        const name = sub ? `${category}: ${sub}` : category;
        return { value: { code: v, name }, text: `${name} (0x${v.toString(16).padStart(4, '0')})` };
      },
    ],
  ],
  [
    0x2a04,
    [
      'Peripheral Preferred Connection Parameters',
      (b) => {
        need(b, 8, 'Peripheral Preferred Connection Parameters');
        const [min, max, latency, timeout] = [0, 2, 4, 6].map((o) => b.readUInt16LE(o)) as number[];
        const value = {
          minIntervalMs: (min as number) * 1.25,
          maxIntervalMs: (max as number) * 1.25,
          latency,
          supervisionTimeoutMs: (timeout as number) * 10,
        };
        return {
          value,
          text: `interval ${value.minIntervalMs}-${value.maxIntervalMs} ms, latency ${String(latency)}, timeout ${value.supervisionTimeoutMs} ms`,
        };
      },
    ],
  ],
  [
    0x2a05,
    [
      'Service Changed',
      (b) => {
        need(b, 4, 'Service Changed');
        const start = b.readUInt16LE(0);
        const end = b.readUInt16LE(2);
        const h = (n: number): string => '0x' + n.toString(16).padStart(4, '0');
        return { value: { startHandle: start, endHandle: end }, text: `${h(start)}-${h(end)}` };
      },
    ],
  ],
  [0x2a06, ['Alert Level', enumOf('Alert Level', ['No Alert', 'Mild Alert', 'High Alert'])]],
  [
    0x2a07,
    [
      'Tx Power Level',
      (b) => {
        need(b, 1, 'Tx Power Level');
        const v = b.readInt8(0);
        return { value: v, text: `${v} dBm` };
      },
    ],
  ],
  [
    0x2a19,
    [
      'Battery Level',
      (b) => {
        need(b, 1, 'Battery Level');
        const v = b[0] as number;
        if (v > 100) throw new DecodeError(`Battery Level ${v} is above 100 %`, { offset: 0 });
        return { value: v, text: `${v} %` };
      },
    ],
  ],
  [0x2a1c, ['Temperature Measurement', temperatureMeasurement]],
  [0x2a1d, ['Temperature Type', enumOf('Temperature Type', TEMPERATURE_TYPES)]],
  [0x2a1e, ['Intermediate Temperature', temperatureMeasurement]],
  [
    0x2a23,
    [
      'System ID',
      (b) => {
        need(b, 8, 'System ID');
        const manufacturer = b.readUIntLE(0, 5);
        const oui = b.readUIntLE(5, 3);
        return {
          value: { manufacturerId: manufacturer, oui },
          text: `manufacturer 0x${manufacturer.toString(16).padStart(10, '0')}, OUI 0x${oui.toString(16).padStart(6, '0')}`,
        };
      },
    ],
  ],
  [0x2a24, ['Model Number String', text('Model Number String')]],
  [0x2a25, ['Serial Number String', text('Serial Number String')]],
  [0x2a26, ['Firmware Revision String', text('Firmware Revision String')]],
  [0x2a27, ['Hardware Revision String', text('Hardware Revision String')]],
  [0x2a28, ['Software Revision String', text('Software Revision String')]],
  [0x2a29, ['Manufacturer Name String', text('Manufacturer Name String')]],
  [0x2a37, ['Heart Rate Measurement', heartRate]],
  [0x2a38, ['Body Sensor Location', enumOf('Body Sensor Location', BODY_SENSOR_LOCATIONS)]],
  [
    0x2a50,
    [
      'PnP ID',
      (b) => {
        need(b, 7, 'PnP ID');
        const source = b[0] as number;
        const sourceName = source === 1 ? 'Bluetooth SIG' : source === 2 ? 'USB-IF' : 'reserved';
        const vendor = b.readUInt16LE(1);
        const product = b.readUInt16LE(3);
        const version = b.readUInt16LE(5);
        const h = (n: number): string => '0x' + n.toString(16).padStart(4, '0');
        // Version is 0xJJMN: major JJ, minor M, sub-minor N.
        const ver = `${version >> 8}.${(version >> 4) & 0xf}.${version & 0xf}`;
        return {
          value: { vendorIdSource: sourceName, vendorId: vendor, productId: product, version },
          text: `${sourceName} vendor ${h(vendor)}, product ${h(product)}, version ${ver}`,
        };
      },
    ],
  ],
  [
    0x2a6e,
    [
      'Temperature',
      (b) => {
        need(b, 2, 'Temperature');
        const raw = b.readInt16LE(0);
        if (raw === -0x8000) return { value: null, text: 'unknown' };
        const c = raw / 100;
        return { value: c, text: `${c} °C` };
      },
    ],
  ],
  [
    0x2a6f,
    [
      'Humidity',
      (b) => {
        need(b, 2, 'Humidity');
        const raw = b.readUInt16LE(0);
        if (raw === 0xffff) return { value: null, text: 'unknown' };
        return { value: raw / 100, text: `${raw / 100} %` };
      },
    ],
  ],
  [
    0x2900,
    [
      'Characteristic Extended Properties',
      (b) => {
        need(b, 2, 'Characteristic Extended Properties');
        const v = b.readUInt16LE(0);
        const list = [v & 1 ? 'reliable-write' : '', v & 2 ? 'writable-auxiliaries' : ''].filter(
          Boolean,
        );
        return { value: list, text: list.join(', ') || 'none' };
      },
    ],
  ],
  [0x2901, ['Characteristic User Description', text('Characteristic User Description')]],
  [
    0x2902,
    [
      'Client Characteristic Configuration',
      (b) => {
        need(b, 2, 'Client Characteristic Configuration');
        const v = b.readUInt16LE(0);
        const value = { notify: (v & 1) !== 0, indicate: (v & 2) !== 0 };
        const on = [value.notify ? 'notify' : '', value.indicate ? 'indicate' : ''].filter(Boolean);
        return { value, text: on.join(', ') || 'off' };
      },
    ],
  ],
]);

/** Whether blekit knows how to decode values of this UUID. */
export function hasDecoder(uuid: string): boolean {
  const alias = uuidAlias(uuid);
  return alias !== undefined && DECODERS.has(alias);
}

/**
 * Decodes a value by its characteristic's (or descriptor's) SIG format. Undefined when the
 * format is not one blekit knows; DecodeError when the bytes do not fit the format.
 */
export function decodeValue(uuid: string, value: Buffer): DecodedValue | undefined {
  const alias = uuidAlias(uuid);
  const entry = alias === undefined ? undefined : DECODERS.get(alias);
  if (!entry) return undefined;
  const [format, decode] = entry;
  return { format, ...decode(value) };
}

/** decodeValue for display: a failed decode becomes a note instead of an error. */
export function tryDecode(
  uuid: string,
  value: Buffer,
): { decoded?: DecodedValue; decodeError?: string } {
  try {
    const decoded = decodeValue(uuid, value);
    return decoded ? { decoded } : {};
  } catch (e) {
    if (e instanceof DecodeError) return { decodeError: e.message };
    throw e;
  }
}
