/**
 * `blekit/central`: the central role on its D-Bus backend, without the peripheral's modules,
 * which every process that imports the package root loads.
 * @module blekit/central
 */
export * from '../core/index.js';
export * from '../central/index.js';
export * from '../backends/dbus/index.js';
