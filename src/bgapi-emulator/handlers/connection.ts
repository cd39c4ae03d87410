import { rssiToHci } from '../../core/index.js';
import { BgapiResult, ConnectionStatusFlag } from '../../backends/bgapi/codec/index.js';
import type { ClassHandlers } from './handler.js';

/** The connection class: disconnect, RSSI, parameters and status of a link. */
export const connection: ClassHandlers<'connection'> = {
  connection_disconnect: async (d, c) => {
    const l = d.linkFor(c.name, c.params.connection);
    if (!l) return;
    d.respond(c.name, { connection: l.handle, result: 0 });
    l.localDisconnect = true;
    await l.conn?.disconnect().catch(() => undefined);
    d.dropLink(l, 'local');
  },
  connection_get_rssi: async (d, c) => {
    const l = d.links.get(c.params.connection);
    let rssi = l ? d.lastRssi.get(l.address) : undefined;
    if (l?.conn && d.backend.capabilities.connectionRssi) {
      rssi = await l.conn.rssi().catch(() => rssi);
    }
    d.respond(c.name, { connection: c.params.connection, rssi: rssiToHci(rssi) });
  },
  connection_update: (d, c) => {
    const l = d.linkFor(c.name, c.params.connection);
    if (!l) return;
    d.respond(c.name, { connection: l.handle, result: 0 });
    l.params = {
      interval: c.params.intervalMax,
      timeout: c.params.timeout,
      latency: c.params.latency,
    };
    d.status(l, ConnectionStatusFlag.parametersChange);
  },
  connection_channel_map_get: (d, c) =>
    d.respond(c.name, {
      connection: c.params.connection,
      map: Buffer.from([0xff, 0xff, 0xff, 0xff, 0x1f]),
    }),
  connection_get_status: (d, c) => {
    d.respond(c.name, { connection: c.params.connection });
    const l = d.links.get(c.params.connection);
    if (l?.conn) d.status(l, 0);
  },
  connection_version_update: (d, c) =>
    d.respond(c.name, { connection: c.params.connection, result: BgapiResult.notImplemented }),
  connection_channel_map_set: (d, c) =>
    d.respond(c.name, { connection: c.params.connection, result: BgapiResult.notImplemented }),
  connection_features_get: (d, c) =>
    d.respond(c.name, { connection: c.params.connection, result: BgapiResult.notImplemented }),
  connection_raw_tx: (d, c) => d.respond(c.name, { connection: c.params.connection }),
};
