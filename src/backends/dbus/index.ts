// The central role's backend over bluetoothd: the CentralBackend contract on top of src/bluez
// (its session with the call window, the object mirror, remote-object readers, Device1 and
// remote GATT calls, names, errors): backend.ts scans and connects, connection.ts turns one
// link's BackendConnection calls into src/bluez calls and picks the transport of each.
export { DbusBackend, type DbusBackendOptions } from './backend.js';
export { DbusConnection, type DbusPathStats } from './connection.js';
export { mapDbusError } from '../../bluez/errors.js';
export { MAX_PENDING_CALLS } from '../../bluez/session.js';
