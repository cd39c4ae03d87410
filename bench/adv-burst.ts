// The advertiser of the 'advRate' test: a burst of advertisements from hci1, each with the next
// counter, through the kernel's mgmt API. btvirt sends one report per advertising enable, so
// each advertisement is one AddAdvertising that replaces the instance's data: the kernel
// disables, sets the data and enables again. In the lab that gave about 165 enables/s, against
// about 100/s for Add+Remove and 16/s for D-Bus RegisterAdvertisement/Unregister (.lab/exp).
// Connectable, so the kernel keeps the public address (non-connectable advertising goes out
// from a fresh non-resolvable address each time, which clients would see as new devices).
import { Mgmt } from '../src/mgmt/index.js';
import { ADV_COMPANY, advPayload, type AdvBurstRecord } from './protocol.js';

const HCI1_INDEX = 1;
let mgmt: Mgmt | undefined;

async function freeInstance(m: Mgmt, index: number): Promise<number> {
  // The bench peripheral's own advertisement has just been unregistered: give the kernel a
  // moment to drop its instance, since a second one would share airtime with the burst.
  const end = Date.now() + 3000;
  for (;;) {
    const f = await m.send('ReadAdvertisingFeatures', index);
    if (f.instances.length === 0) return 1;
    if (Date.now() > end)
      throw new Error(`hci${index} still has advertising instances ${f.instances}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Sends `count` advertisements as fast as the kernel takes them, or at most `pacePerSec` a
 * second when given (to offer every client the same load); removes the instance after.
 * `index`: the controller (hci1 unless told; bursts on different controllers may overlap).
 */
export async function advBurst(
  id: number,
  count: number,
  pacePerSec?: number,
  index = HCI1_INDEX,
): Promise<AdvBurstRecord> {
  mgmt ??= await Mgmt.open();
  const m = mgmt;
  let sent = 0;
  let startAt = Date.now();
  let error: string | undefined;
  let instance: number | undefined;
  try {
    instance = await freeInstance(m, index);
    startAt = Date.now();
    for (; sent < count; sent++) {
      const due = pacePerSec ? startAt + (sent * 1000) / pacePerSec : 0;
      if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
      await m.send('AddAdvertising', index, {
        instance,
        flags: ['connectable', 'discoverable'],
        duration: 0,
        timeout: 0,
        advData: { manufacturerData: new Map([[ADV_COMPANY, advPayload(id, sent)]]) },
        scanRsp: new Uint8Array(0),
      });
    }
  } catch (e) {
    error = (e as Error).message;
  }
  const endAt = Date.now();
  if (instance !== undefined) {
    try {
      await m.send('RemoveAdvertising', index, { instance });
      // Nothing may stay on the air for the runs that follow.
      const left = (await m.send('ReadAdvertisingFeatures', index)).instances;
      if (left.length) error ??= `hci${index} still advertises instances ${left} after the burst`;
    } catch (e) {
      error ??= `remove: ${(e as Error).message}`;
    }
  }
  const rec: AdvBurstRecord = {
    id,
    sent,
    startAt,
    endAt,
    sentPerSec: sent / Math.max((endAt - startAt) / 1000, 0.001),
  };
  if (error) rec.error = error;
  return rec;
}

export function closeAdvertiser(): void {
  mgmt?.close();
  mgmt = undefined;
}
