/**
 * `blekit/lab`: the virtual Bluetooth lab, a QEMU VM with virtual LE controllers and
 * bluetoothd for tests.
 * @module blekit/lab
 */
export { guestDir, runLab, type LabOptions, type LabResult } from './vm.js';
export { LAB_PACKAGES, LabSetupError, missingPackages, ensurePackages } from './requirements.js';
export { cacheRoot, ensureKernelFiles, MODULES } from './kernel.js';
