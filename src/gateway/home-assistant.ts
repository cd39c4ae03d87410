import type { BthomeMeasurement } from '../formats/index.js';
import { deviceKey, type Topics } from './topics.js';

/** Home Assistant sensor device classes that match a BTHome name (others map below). */
const SENSOR_CLASSES = new Set([
  'battery',
  'temperature',
  'humidity',
  'pressure',
  'illuminance',
  'energy',
  'power',
  'voltage',
  'pm25',
  'pm10',
  'carbon_dioxide',
  'volatile_organic_compounds',
  'moisture',
  'distance',
  'duration',
  'current',
  'speed',
  'volume',
  'volume_flow_rate',
  'gas',
  'water',
  'volume_storage',
  'conductivity',
  'precipitation',
]);
const SENSOR_ALIASES: Record<string, string> = {
  mass: 'weight',
  mass_lb: 'weight',
  dew_point: 'temperature',
  distance_m: 'distance',
  volume_ml: 'volume',
};
const BINARY_ALIASES: Record<string, string> = {
  battery_low: 'battery',
  gas_detected: 'gas',
  moisture_detected: 'moisture',
  power_on: 'power',
};

/** One Home Assistant discovery config: its (retained) topic and JSON payload. */
export interface DiscoveryMessage {
  topic: string;
  payload: Record<string, unknown>;
}

/**
 * Home Assistant MQTT discovery config for one BTHome value of one device: a sensor or binary
 * sensor reading `key` from the device's bthome topic, available while the gateway is online.
 * Undefined for values Home Assistant would not show as a sensor (text, raw, events, info).
 */
export function discoveryFor(
  topics: Topics,
  discoveryPrefix: string,
  address: string,
  deviceName: string | undefined,
  m: BthomeMeasurement,
  key: string,
): DiscoveryMessage | undefined {
  const component =
    m.kind === 'sensor' ? 'sensor' : m.kind === 'binary' ? 'binary_sensor' : undefined;
  if (!component) return undefined;
  const id = deviceKey(address);
  const payload: Record<string, unknown> = {
    name: key.replace(/_/g, ' '),
    unique_id: `blekit_${id}_${key}`,
    object_id: `blekit_${id}_${key}`,
    state_topic: topics.decoded(address, 'bthome'),
    availability_topic: topics.status(),
    availability_template: '{{ value_json.state }}',
    device: {
      identifiers: [`blekit_${id}`],
      connections: [['bluetooth', address]],
      name: deviceName ?? `BTHome ${id.slice(-4)}`,
      via_device: `blekit_gateway_${topics.gatewayId}`,
    },
    origin: { name: 'blekit' },
  };
  if (component === 'sensor') {
    payload.value_template = `{{ value_json.values.${key} }}`;
    payload.state_class = 'measurement';
    if (m.unit !== undefined) payload.unit_of_measurement = m.unit;
    const cls = SENSOR_ALIASES[m.name] ?? (SENSOR_CLASSES.has(m.name) ? m.name : undefined);
    if (cls) payload.device_class = cls;
  } else {
    payload.value_template = `{{ 'ON' if value_json.values.${key} else 'OFF' }}`;
    const cls = BINARY_ALIASES[m.name] ?? (m.name === 'generic_boolean' ? undefined : m.name);
    if (cls) payload.device_class = cls;
  }
  return {
    topic: `${discoveryPrefix}/${component}/blekit_${id}/${key}/config`,
    payload,
  };
}
