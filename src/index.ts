/**
 * `blekit`, the package root: every public API (central, peripheral, mgmt, formats, gateway).
 * @module blekit
 */
export * from './core/index.js';
export * from './central/index.js';
export * from './backends/dbus/index.js';
export * from './backends/gatttool/index.js';
export * from './backends/bgapi/index.js';
export * from './peripheral/index.js';
export * from './mgmt/index.js';
export * from './formats/index.js';
export * from './gateway/index.js';
export { bthomeAdvertisement, type BthomeAdvertisementOptions } from './peripheral/bthome.js';
export { nativeAvailable, nativeStatus, type NativeStatus } from './native/seqpacket.js';
// Both roles describe an adapter: the central's view is the minimal one every backend can give;
// the peripheral's is BlueZ's full Adapter1 view.
export type { AdapterInfo } from './central/index.js';
export type { AdapterInfo as BluezAdapterInfo } from './peripheral/index.js';
