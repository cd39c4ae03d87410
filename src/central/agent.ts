// What Central.registerAgent() loads on first use, as one dynamic import: one chunk of the
// bundle, where importing the agent and its registry separately made the central's static
// chunks split into more files (each costs a read at start-up).
export { Agent } from '../bluez/agent.js';
export { registerAgentOnSystemBus } from '../bluez/agent-registry.js';
