// Loaded with --import into every lab test file's process: each file starts on a fresh BlueZ
// stack (controllers off, bluetoothd restarted with empty state, controllers on), so no file
// depends on what the ones before it left behind. LAB.md: a fresh stack per test made runs
// repeatable; every test folder passed alone and some failed after others without this.
import { freshStack } from './stack.js';

if (process.env.BLEKIT_IN_LAB === '1' && !process.execArgv.includes('--test')) {
  await freshStack();
}
