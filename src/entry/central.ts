// `blekit/central`: the central role on its D-Bus backend, without the peripheral, whose
// dbus-next bus would otherwise load into every process that imports the package root.
export * from '../core/index.js';
export * from '../central/index.js';
export * from '../backends/dbus/index.js';
