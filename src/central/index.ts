export * from './types.js';
export type * from './backend.js';
export { Central, type CentralOptions } from './central.js';
export { Device, type DisconnectCallback } from './device.js';
export { GattDatabase } from './database.js';
export { compileScanFilter, matchesScanFilter, type CompiledScanFilter } from './scan-filter.js';
export { GattClient, type FacadeResult } from './facade.js';
// Types only: Central.registerAgent() takes an agent's options and loads its code when called.
export type { AgentCapability, AgentOptions } from '../bluez/agent.js';
export type { RegisterAgentOptions } from '../bluez/agent-registry.js';
export type { RemoteDevice } from '../peripheral/gatt/types.js';
