export { GatttoolBackend, checkCliOptions, type GatttoolBackendOptions } from './backend.js';
export { GatttoolConnection } from './connection.js';
export { GatttoolSession, type SessionOptions } from './session.js';
export { GatttoolParser, classifyLine, stripAnsi, type GatttoolEvent } from './parser.js';
export { mapGatttoolError, attCodeOf } from './errors.js';
