import { BgapiResult } from '../../backends/bgapi/codec/index.js';
import { errorResult, type DongleState, type Link } from '../state.js';
import type { ClassHandlers } from './handler.js';

/** Pairs through the central; a bonding request with bondable mode on takes a bond handle. */
async function encrypt(d: DongleState, l: Link, bond: boolean): Promise<void> {
  try {
    await l.conn?.pair('medium');
    l.encrypted = true;
    if (bond && !d.bonds.includes(l.address)) {
      const free = d.bonds.indexOf('');
      if (free >= 0) d.bonds[free] = l.address;
      else d.bonds.push(l.address);
    }
    d.status(l, 0);
  } catch (err) {
    d.event('sm_bonding_fail', {
      handle: l.handle,
      result: errorResult(err, BgapiResult.smpUnspecified),
    });
  }
}

/** The security manager class: encryption, bonding mode and the bond list. */
export const sm: ClassHandlers<'sm'> = {
  sm_encrypt_start: (d, c) => {
    const l = d.links.get(c.params.handle);
    if (!l?.conn) {
      return d.respond(c.name, { handle: c.params.handle, result: BgapiResult.notConnected });
    }
    d.respond(c.name, { handle: l.handle, result: 0 });
    void encrypt(d, l, c.params.bonding === 1 && d.bondable);
  },
  sm_set_bondable_mode: (d, c) => {
    d.bondable = c.params.bondable === 1;
    d.respond(c.name, {});
  },
  sm_delete_bonding: async (d, c) => {
    const h = c.params.handle;
    const targets = h === 0xff ? d.bonds.filter(Boolean) : d.bonds[h] ? [d.bonds[h]] : [];
    if (targets.length === 0 && h !== 0xff) {
      return d.respond(c.name, { result: BgapiResult.invalidParameter });
    }
    for (const a of targets) await d.backend.removeBond(a).catch(() => undefined);
    if (h === 0xff) d.bonds.length = 0;
    else d.bonds[h] = '';
    d.respond(c.name, { result: 0 });
  },
  sm_set_parameters: (d, c) => d.respond(c.name, {}),
  sm_passkey_entry: (d, c) => d.respond(c.name, { result: BgapiResult.notImplemented }),
  sm_get_bonds: (d, c) => {
    const live = d.bonds.map((a, i) => [a, i] as const).filter(([a]) => a !== '');
    d.respond(c.name, { bonds: live.length });
    for (const [, i] of live)
      d.event('sm_bond_status', { bond: i, keysize: 16, mitm: 0, keys: 0x07 });
  },
  sm_set_oob_data: (d, c) => d.respond(c.name, {}),
};
