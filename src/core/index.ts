// Basics every layer uses: typed errors, UUIDs, addresses, bytes, handles, abort and logging.
export * from './errors.js';
export * from './uuid.js';
export * from './address.js';
export * from './bytes.js';
export * from './handle.js';
export * from './abort.js';
export * from './log.js';
export type { BoundedStream } from './bounded-queue.js';
export * from './rssi.js';
// Protocol facts and codecs live in src/protocol; re-exported here because modules of both roles
// import them through core's index.
export * from '../protocol/index.js';
