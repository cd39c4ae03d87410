import { BgapiResult } from '../../backends/bgapi/codec/index.js';
import type { ClassHandlers } from './handler.js';

/** The attributes class: the dongle's own (local) database, kept as plain values. */
export const attributes: ClassHandlers<'attributes'> = {
  attributes_write: (d, c) => {
    const old = d.localDb.get(c.params.handle) ?? Buffer.alloc(0);
    d.localDb.set(
      c.params.handle,
      Buffer.concat([old.subarray(0, c.params.offset), c.params.value]),
    );
    d.respond(c.name, { result: 0 });
  },
  attributes_read: (d, c) => {
    const v = d.localDb.get(c.params.handle);
    d.respond(c.name, {
      handle: c.params.handle,
      offset: c.params.offset,
      result: v ? 0 : BgapiResult.attInvalidHandle,
      value: (v ?? Buffer.alloc(0)).subarray(c.params.offset, c.params.offset + 32),
    });
  },
  attributes_read_type: (d, c) =>
    d.respond(c.name, {
      handle: c.params.handle,
      result: BgapiResult.attInvalidHandle,
      value: Buffer.alloc(0),
    }),
  attributes_user_read_response: (d, c) => d.respond(c.name, {}),
  attributes_user_write_response: (d, c) => d.respond(c.name, {}),
};
