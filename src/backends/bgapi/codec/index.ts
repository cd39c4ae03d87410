export * from './fields.js';
export * from './messages.js';
export * from './packet.js';
export * from './parser.js';
export * from './results.js';
