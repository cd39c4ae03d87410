// The central role's backend over bluetoothd: the CentralBackend contract on top of src/bluez
// (names, errors, Adapter1) with its own call window and object mirror for GATT discovery.
export { DbusBackend, type DbusBackendOptions } from './backend.js';
export { DbusConnection, type DbusPathStats } from './connection.js';
export { mapDbusError } from '../../bluez/errors.js';
export { MAX_PENDING_CALLS } from '../../bluez/session.js';
