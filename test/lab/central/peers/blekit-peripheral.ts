// blekit's own peripheral (src/peripheral) as a conformance peer, in this process on hci1.
// The sequence characteristic notifies through BlueZ's AcquireNotify socket when the native
// addon is built (LocalCharacteristic.fastNotify), else through D-Bus signals.
import assert from 'node:assert/strict';
import type { AdvertisingData } from '../../../../src/core/index.js';
import {
  Peripheral,
  type Advertisement,
  type LocalCharacteristic,
} from '../../../../src/peripheral/index.js';
import { HCI1_ADDR } from '../../../support/proc.js';
import { CONFORMANCE as C, READ_VALUE, type ConformancePeer } from '../peer.js';

// Flags, name, one 16-bit UUID and 4 bytes of manufacturer data fit the 31 legacy bytes; the
// 128-bit conformance service UUID would not, so discovery finds that one.
const NAME = 'blekit-cf';
const AD_UUID = '0000fff0-0000-1000-8000-00805f9b34fb';
const MANUFACTURER = Buffer.from([0x62, 0x6c, 0x65, 0x6b]);

export interface BlekitPeer extends ConformancePeer {
  /** How the central's last subscription to the sequence reached us ('socket' = AcquireNotify). */
  readonly seqVia: 'socket' | 'dbus' | undefined;
}

export function blekitPeripheralPeer(hci = 'hci1', address = HCI1_ADDR): BlekitPeer {
  let p: Peripheral | undefined;
  let ad: Advertisement | undefined;
  let via: 'socket' | 'dbus' | undefined;
  let next = 0;
  /** Credits are spent one value at a time, each awaited: notify() paces to bluetoothd. */
  let owed = 0;
  let pumping = false;

  const pump = async (seq: LocalCharacteristic): Promise<void> => {
    if (pumping) return;
    pumping = true;
    try {
      while (owed > 0 && seq.isNotifying) {
        owed--;
        const b = Buffer.alloc(4);
        b.writeUInt32LE(next++);
        await seq.notify(b);
      }
    } finally {
      pumping = false;
    }
  };

  return {
    name: 'blekit-peripheral',
    address,
    hci,
    get seqVia() {
      return via;
    },
    async start() {
      next = 0;
      owed = 0;
      p = await Peripheral.open({ adapter: hci, handleSignals: false });
      const svc = await p.addService({
        uuid: C.service,
        characteristics: [
          { uuid: C.read, flags: ['read'], value: READ_VALUE },
          { uuid: C.echo, flags: ['read', 'write', 'write-without-response'] },
          { uuid: C.seq, flags: ['notify'] },
          {
            uuid: C.credits,
            flags: ['write', 'write-without-response'],
            onWrite: (req) => {
              const v = req.value;
              if (v.length === 4 && v.readUInt32LE(0) === 0xffffffff) {
                next = 0;
                owed = 0;
                return;
              }
              if (v.length !== 2) throw new RangeError('credits are a u16');
              owed += v.readUInt16LE(0);
              void pump(seq);
            },
          },
        ],
      });
      const seq = svc.characteristic(C.seq) as LocalCharacteristic;
      seq.on('subscribe', (ev) => {
        via = ev.via;
        void pump(seq);
      });
    },
    async advertise(on: boolean) {
      if (!p) throw new Error('peer not started');
      if (ad) {
        await ad.stop();
        ad = undefined;
      }
      if (on) {
        ad = await p.advertise({
          localName: NAME,
          serviceUuids: [AD_UUID],
          manufacturerData: { 0xffff: MANUFACTURER },
        });
      }
    },
    async stop() {
      const peripheral = p;
      p = undefined;
      ad = undefined;
      await peripheral?.close();
    },
    checkAdvertisement(adv: AdvertisingData, name: string | undefined) {
      assert.equal(name, NAME);
      assert.ok(adv.serviceUuids.includes(AD_UUID), String(adv.serviceUuids));
      assert.deepEqual(adv.manufacturerData.get(0xffff), MANUFACTURER);
    },
  };
}
