import type { ClassHandlers } from './handler.js';
import { EMULATED_VERSION, MAX_CONNECTIONS } from '../state.js';

/** A dongle needs a moment to boot; the host must not see system_boot on the reset's heels. */
const BOOT_DELAY_MS = 100;

/** The system class: reset, identity, counters and the whitelist. */
export const system: ClassHandlers<'system'> = {
  system_reset: async (d) => {
    await d.teardown();
    setTimeout(() => d.event('system_boot', { ...EMULATED_VERSION }), BOOT_DELAY_MS);
  },
  system_hello: (d, c) => d.respond(c.name, {}),
  system_address_get: (d, c) => d.respond(c.name, { address: d.address }),
  system_get_counters: (d, c) =>
    d.respond(c.name, { txok: 0, txretry: 0, rxok: 0, rxfail: 0, mbuf: 0 }),
  system_get_connections: (d, c) => {
    d.respond(c.name, { maxconn: MAX_CONNECTIONS });
    for (const l of d.links.values()) if (l.conn) d.status(l, 0);
  },
  system_get_info: (d, c) => d.respond(c.name, { ...EMULATED_VERSION }),
  system_whitelist_append: (d, c) => {
    d.whitelist.add(c.params.address);
    d.respond(c.name, { result: 0 });
  },
  system_whitelist_remove: (d, c) => {
    d.whitelist.delete(c.params.address);
    d.respond(c.name, { result: 0 });
  },
  system_whitelist_clear: (d, c) => {
    d.whitelist.clear();
    d.respond(c.name, {});
  },
};
