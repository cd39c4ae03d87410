// The BLE-to-MQTT gateway. mqtt and aedes load only when a Gateway starts.
export {
  Gateway,
  type GatewayOptions,
  type GatewayStats,
  type MqttClientOptions,
  type ScanSource,
} from './gateway.js';
export { Topics, deviceKey } from './topics.js';
export { decodeAdvertisement, bthomeValues, type DecodedAdvertisement } from './decode.js';
export { discoveryFor, type DiscoveryMessage } from './home-assistant.js';
export { startEmbeddedBroker, type EmbeddedBroker } from './broker.js';
