export { guestDir, runLab, type LabOptions, type LabResult } from './vm.js';
export { LAB_PACKAGES, LabSetupError, missingPackages, ensurePackages } from './requirements.js';
export { cacheRoot, ensureKernelFiles, MODULES } from './kernel.js';
