export * from './types.js';
export type * from './backend.js';
export { Central, type CentralOptions } from './central.js';
export { Device, type DisconnectCallback } from './device.js';
export { GattDatabase } from './database.js';
export { compileScanFilter, matchesScanFilter, type CompiledScanFilter } from './scan-filter.js';
export { GattClient, type FacadeResult } from './facade.js';
