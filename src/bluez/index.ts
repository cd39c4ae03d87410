// One module per BlueZ D-Bus interface, shared by both roles: names and property records
// (names.ts), org.bluez.Error.* -> BleError (errors.ts), one-off calls (calls.ts), Adapter1
// (adapter.ts), Device1 for the central (device.ts) and watched for the peripheral
// (device-watch.ts), LEAdvertisement1 (advertising.ts), Agent1 (agent.ts) and AgentManager1
// (agent-registry.ts), the local GATT application and its objects (gatt-application.ts,
// gatt-local.ts, gatt-requests.ts), remote GATT as a client calls it (gatt-remote.ts) and what a
// link keeps between those calls (gatt-remote-sessions.ts, one-at-a-time.ts), the
// AcquireNotify/AcquireWrite sockets of both roles (acquired-socket.ts), bluetoothd's owner on
// the bus (owner.ts), and for the central the session with its object mirror (session.ts,
// object-mirror.ts) and what those objects say about a remote device: its GATT tree and its
// advertisement (remote-objects.ts). src/backends/dbus holds only the CentralBackend adapter.
export * from './names.js';
export { mapDbusError, isTransientConnectError } from './errors.js';
export { adapterInfo, devicePath, pickAdapter, removeDevice, type AdapterInfo } from './adapter.js';
