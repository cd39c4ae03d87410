export { DbusBackend, type DbusBackendOptions } from './backend.js';
export { DbusConnection, type DbusPathStats } from './connection.js';
export { mapDbusError } from '../../bluez/errors.js';
export { MAX_PENDING_CALLS } from './bus.js';
