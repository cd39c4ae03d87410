// Scan reports on the BGAPI wire: how the emulator splits a stack's merged scan result into
// advertisement and scan response packets, and how the backend merges those packets again.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ScanResult } from '../../../src/central/types.js';
import {
  emptyAdvertisingData,
  encodeAdvertisingData,
  parseAdvertisingData,
  type AdvertisingData,
} from '../../../src/core/index.js';
import { DongleEmulator } from '../../../src/bgapi-emulator/dongle.js';
import {
  BgapiStreamParser,
  GapAddressType,
  NO_BOND,
  ScanPacketType,
  encodeEvent,
  encodeCommand,
  type EventParams,
} from '../../../src/backends/bgapi/codec/index.js';
import { FakeBackend } from '../central/fake-backend.js';
import { loopback } from './loopback.js';

const PEER = '00:AA:01:01:00:01';
const C000 = '0000c000-b1e0-4000-8000-626c656b6974';
const tick = () => new Promise((r) => setTimeout(r, 20));

function ad(fields: Partial<AdvertisingData>): AdvertisingData {
  return { ...emptyAdvertisingData(), ...fields };
}

function result(advertisement: AdvertisingData): ScanResult {
  return { address: PEER, addressType: 'public', rssi: -40, advertisement, timestamp: 0 };
}

/** An emulator on a fake stack, scanning; returns the gap_scan_response events it sends. */
async function scanningEmulator(active: boolean) {
  const fake = new FakeBackend();
  const parser = new BgapiStreamParser('fromDevice');
  const packets: EventParams<'gap_scan_response'>[] = [];
  const emulator = new DongleEmulator({
    backend: fake,
    send: (b) => {
      for (const f of parser.push(b))
        if (f.kind === 'event' && f.name === 'gap_scan_response') packets.push(f.params);
    },
  });
  await emulator.start();
  emulator.receive(
    encodeCommand('gap_set_scan_parameters', {
      scanInterval: 75,
      scanWindow: 50,
      active: active ? 1 : 0,
    }),
  );
  emulator.receive(encodeCommand('gap_discover', { mode: 2 }));
  await tick();
  assert.ok(fake.sink, 'the emulator started a scan on its stack');
  return { sink: fake.sink, packets };
}

describe('BGAPI scan packets (emulator side)', () => {
  test('an active scan gets a scan response for every advertisement, empty when all fits', async () => {
    const { sink, packets } = await scanningEmulator(true);
    sink(result(ad({ localName: 'blekit-cf', completeName: true, flags: 0x06 })));
    await tick();
    assert.deepEqual(
      packets.map((p) => [p.packetType, p.data.length]),
      [
        [ScanPacketType.connectable, 3 + 11],
        [ScanPacketType.scanResponse, 0],
      ],
    );
  });

  test('a report without a reading goes out as 127 ("not available"), never as dBm', async () => {
    const { sink, packets } = await scanningEmulator(false);
    for (const rssi of [undefined, 127, -40, -300]) sink({ ...result(ad({})), rssi });
    await tick();
    assert.deepEqual(
      packets.map((p) => p.rssi),
      [127, 127, -40, -127],
    );
  });

  test('a passive scan gets the advertisement packet only', async () => {
    const { sink, packets } = await scanningEmulator(false);
    sink(result(ad({ localName: 'blekit-cf', completeName: true })));
    await tick();
    assert.deepEqual(
      packets.map((p) => p.packetType),
      [ScanPacketType.connectable],
    );
  });

  test('structures that fit nowhere are left out whole, never cut', async () => {
    const { sink, packets } = await scanningEmulator(true);
    // 15 128-bit UUIDs (242 bytes) fill the scan response; the manufacturer data (34 bytes)
    // then fits in neither packet and is left out, the other structures kept intact.
    const many = Array.from({ length: 15 }, (_, i) => C000.replace('c000', `c0${i + 10}`));
    const big = ad({ serviceUuids: many, localName: 'n', completeName: true });
    big.manufacturerData.set(0x05f1, Buffer.alloc(30, 7));
    sink(result(big));
    await tick();
    assert.equal(packets.length, 2);
    const [adv, rsp] = packets.map((p) => parseAdvertisingData(p.data));
    assert.equal(packets[0]?.data.length, 3);
    assert.equal(adv?.localName, 'n');
    assert.equal(packets[1]?.data.length, 242);
    assert.deepEqual(rsp?.serviceUuids, many);
    assert.equal(adv?.manufacturerData.size, 0);
    assert.equal(rsp?.manufacturerData.size, 0);
  });
});

describe('BGAPI scan packets (backend side)', () => {
  test('a newer advertisement wins over a scan response left from an earlier one', async () => {
    const { backend, toHost } = loopback();
    await backend.start({});
    const got: ScanResult[] = [];
    await backend.startScan({ active: true }, (r) => got.push(r));
    const packet = (packetType: number, data: AdvertisingData) =>
      toHost(
        encodeEvent('gap_scan_response', {
          rssi: -40,
          packetType,
          sender: PEER,
          addressType: GapAddressType.public,
          bond: NO_BOND,
          data: encodeAdvertisingData(data),
        }),
      );
    const sd = (v: number) => new Map([['0000fff0-0000-1000-8000-00805f9b34fb', Buffer.from([v])]]);
    // First cycle: the name and service data in the scan response...
    packet(ScanPacketType.connectable, ad({ serviceUuids: [C000] }));
    packet(
      ScanPacketType.scanResponse,
      ad({ localName: 'old', completeName: true, serviceData: sd(1), txPower: 4 }),
    );
    // ...then the device moves them into its advertisement, and no scan response arrives.
    packet(
      ScanPacketType.connectable,
      ad({ localName: 'new', completeName: true, serviceData: sd(2) }),
    );
    await tick();
    await backend.stopScan();
    await backend.stop();
    assert.deepEqual(
      got.map((r) => r.name),
      [undefined, 'old', 'new'],
    );
    const last = got.at(-1)?.advertisement;
    assert.deepEqual(
      last?.serviceData.get('0000fff0-0000-1000-8000-00805f9b34fb'),
      Buffer.from([2]),
    );
    // What the older scan response said that the advertisement does not is still reported.
    assert.equal(last?.txPower, 4);
  });

  test('RSSI 127 on the wire is reported as absent, and fails a minimum RSSI', async () => {
    const { backend, toHost } = loopback();
    await backend.start({});
    const scan = async (minRssi?: number) => {
      const got: ScanResult[] = [];
      await backend.startScan({ active: false, minRssi }, (r) => got.push(r));
      for (const rssi of [127, -60])
        toHost(
          encodeEvent('gap_scan_response', {
            rssi,
            packetType: ScanPacketType.connectable,
            sender: PEER,
            addressType: GapAddressType.public,
            bond: NO_BOND,
            data: Buffer.alloc(0),
          }),
        );
      await tick();
      await backend.stopScan();
      return got;
    };
    const all = await scan();
    assert.deepEqual(
      all.map((r) => ['rssi' in r, r.rssi]),
      [
        [false, undefined],
        [true, -60],
      ],
    );
    assert.deepEqual(
      (await scan(-100)).map((r) => r.rssi),
      [-60],
    );
    await backend.stop();
  });
});
