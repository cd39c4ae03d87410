// The peripheral role as users write it: Peripheral, Service classes and decorators, object
// definitions and their validation. The D-Bus side (GattManager1 application, exported GATT
// objects, advertising, agents, Device1 watching, Adapter1) lives in src/bluez.
export {
  Peripheral,
  type PeripheralOptions,
  type PeripheralEvents,
  type RestoredCounts,
} from './peripheral.js';
export { Adapter, listAdapters, type AdapterInfo, type AdapterSelector } from '../bluez/adapter.js';
export {
  Advertisement,
  type AdvertisementOptions,
  type AdvertisingInclude,
} from '../bluez/advertising.js';
export {
  Agent,
  AGENT_CAPABILITIES,
  type AgentCapability,
  type AgentOptions,
} from '../bluez/agent.js';
export { GattApplication } from '../bluez/gatt-application.js';
export {
  LocalCharacteristic,
  LocalDescriptor,
  LocalService,
  type NotifyOptions,
  type SubscriptionEvent,
} from '../bluez/gatt-local.js';
export { isExpressibleAttCode } from '../bluez/gatt-requests.js';
export {
  characteristic,
  descriptor,
  onWrite,
  Service,
  type ServiceOptions,
} from './gatt/service-class.js';
export {
  DESCRIPTOR_FLAGS,
  type CharacteristicDefinition,
  type DescriptorDefinition,
  type DescriptorFlag,
  type ReadHandler,
  type ReadRequest,
  type RemoteDevice,
  type ServiceDefinition,
  type ServiceLike,
  type WriteHandler,
  type WriteRequest,
} from './gatt/types.js';
export { validateService } from './gatt/validate.js';
