// Values longer than the ATT MTU, through blekit's central on the gatttool backend with the MTU
// left at 23 (gatttool never exchanges by itself): reads go out as Read + Read Blob, writes as
// Prepare Write + Execute Write. The D-Bus backend cannot show this: bluetoothd always
// negotiates 517 here. The wire (btmon) and the server (BlueZ's mtu and offset per request)
// both say which PDUs carried the value.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { GatttoolBackend } from '../../../src/backends/gatttool/index.js';
import { Central, type Device } from '../../../src/central/index.js';
import { AttError, AttErrorCode } from '../../../src/core/index.js';
import { Peripheral } from '../../../src/peripheral/index.js';
import { countLines, startBtmon } from '../../support/btmon.js';
import { HCI1_ADDR, assertInLab } from '../../support/proc.js';
import { forgetPeers } from '../peripheral/support.js';

const T = { timeout: 240_000 };
const SVC = '0000d100-b1e0-4000-8000-626c656b6974';
const LONG = '0000d101-b1e0-4000-8000-626c656b6974';
const ECHO = '0000d102-b1e0-4000-8000-626c656b6974';
/**
 * The longest long write BlueZ 5.66's server takes, as measured here: the Prepare Write whose
 * data ends past offset 508 gets 0x0d (as if the 4 bytes of handle and offset counted against
 * the 512), much like its Write Request check that stops at 510 (conformance.ts LONGEST_WRITE).
 */
const LONGEST_LONG_WRITE = 508;
const pattern = (n: number, k: number): Buffer =>
  Buffer.from(Array.from({ length: n }, (_, i) => (i * k + 1) & 0xff));
const LONG_VALUE = pattern(512, 7);
const WRITE_VALUE = pattern(LONGEST_LONG_WRITE, 13);

interface Seen {
  op: 'read' | 'write';
  offset: number;
  mtu: number | undefined;
  length: number;
}

let p: Peripheral;
let central: Central | undefined;
let device: Device | undefined;
let echo = Buffer.alloc(0);
const seen: Seen[] = [];

async function disconnect(): Promise<void> {
  await device?.disconnect().catch(() => undefined);
  device = undefined;
  await central?.stop().catch(() => undefined);
  central = undefined;
}

async function connect(exchangeMtuOnConnect: number | false): Promise<Device> {
  await disconnect();
  central = new Central({
    backend: new GatttoolBackend({
      logFile: '/tmp/blekit-gatttool-long-values.log',
      cliOptions: ['--sec-level=low'],
      exchangeMtuOnConnect,
    }),
    adapter: 'hci0',
  });
  await central.start();
  await p.stopAdvertising();
  await p.advertise({ localName: 'blekit-long' });
  try {
    return await central.connect(HCI1_ADDR, { timeoutMs: 60_000, addressType: 'public' });
  } finally {
    await p.stopAdvertising();
  }
}

before(async () => {
  assertInLab();
  await forgetPeers();
  p = await Peripheral.open({ adapter: 'hci1', handleSignals: false });
  await p.addService({
    uuid: SVC,
    characteristics: [
      {
        uuid: LONG,
        flags: ['read'],
        onRead: (req) => {
          seen.push({ op: 'read', offset: req.offset, mtu: req.mtu, length: 0 });
          return LONG_VALUE;
        },
      },
      {
        uuid: ECHO,
        flags: ['read', 'write'],
        onRead: (req) => {
          seen.push({ op: 'read', offset: req.offset, mtu: req.mtu, length: 0 });
          return echo;
        },
        onWrite: (req) => {
          seen.push({ op: 'write', offset: req.offset, mtu: req.mtu, length: req.value.length });
          echo = Buffer.concat([echo.subarray(0, req.offset), req.value]);
        },
      },
    ],
  });
});

after(async () => {
  await disconnect();
  await p?.close();
  await forgetPeers();
});

test(
  `at MTU 23, a 512-byte read and a ${LONGEST_LONG_WRITE}-byte write round trip`,
  T,
  async () => {
    // From before the link exists: an MTU exchange would happen right after connecting.
    const mon = await startBtmon();
    let trace = '';
    let got: Buffer;
    let back: Buffer;
    try {
      device = await connect(false);
      assert.equal(device.mtu, 23, 'no MTU exchange on this link');
      seen.length = 0;
      got = await device.read(LONG);
      await device.write(ECHO, WRITE_VALUE);
      back = await device.read(ECHO);
    } finally {
      trace = await mon.stop();
    }
    assert.deepEqual(got, LONG_VALUE);
    assert.deepEqual(back, WRITE_VALUE);
    const mtus = [...new Set(seen.map((s) => s.mtu))];
    assert.deepEqual(mtus, [23], `BlueZ told the server: ${JSON.stringify(seen)}`);
    // A Read Response carries MTU-1 = 22 bytes, each Read Blob the next 22 from its offset.
    const reads = seen.filter((s) => s.op === 'read').map((s) => s.offset);
    const steps = (len: number): number[] =>
      Array.from({ length: Math.ceil(len / 22) }, (_, i) => i * 22);
    assert.deepEqual(reads, [...steps(512), ...steps(LONGEST_LONG_WRITE)]);
    const writes = seen.filter((s) => s.op === 'write');
    assert.equal(
      writes.reduce((n, w) => n + w.length, 0),
      WRITE_VALUE.length,
      JSON.stringify(writes),
    );
    // btmon shows each PDU twice: leaving hci0 and arriving at hci1.
    const pdus = (name: string): number => countLines(trace, name) / 2;
    const tail = trace.slice(-4000);
    // bluetoothd on hci1 may ask (its client side), but gatttool answers no exchange.
    assert.equal(pdus('Exchange MTU Response'), 0, tail);
    assert.equal(
      pdus('Read Blob Request'),
      steps(512).length - 1 + steps(LONGEST_LONG_WRITE).length - 1,
      tail,
    );
    // A Prepare Write carries at most MTU-5 = 18 bytes, then one Execute Write commits them.
    assert.equal(pdus('Prepare Write Request'), Math.ceil(LONGEST_LONG_WRITE / 18), tail);
    assert.equal(pdus('Execute Write Request'), 1, tail);
    console.log(
      `# MTU 23: ${reads.length} Read/Read Blob requests for 512 + ${LONGEST_LONG_WRITE} B; ` +
        `${pdus('Prepare Write Request')} Prepare Writes, ${writes.length} server write call(s)`,
    );
  },
);

test('one byte more: BlueZ 5.66 refuses the last Prepare Write, the value stays', T, async () => {
  const d = device as Device;
  const err = await d.write(ECHO, pattern(LONGEST_LONG_WRITE + 1, 5)).then(
    () => new Error('the write succeeded'),
    (e: unknown) => e as Error,
  );
  assert.ok(err instanceof AttError, `${err.name}: ${err.message}`);
  assert.equal(err.attCode, AttErrorCode.InvalidAttributeValueLength, err.message);
  assert.deepEqual(await d.read(ECHO), WRITE_VALUE, 'nothing of the refused write applied');
  await disconnect();
});

test(
  'with the exchange on connect (the conformance setup) the MTU exceeds 510 + 3',
  T,
  async () => {
    device = await connect(517);
    // The gatttool conformance run's 510-byte round trip therefore fits one Write Request and
    // one Read Response; only the MTU-23 test above shows long reads and writes.
    console.log(`# gatttool backend after exchangeMtuOnConnect 517: MTU ${device.mtu}`);
    assert.ok(device.mtu >= 513, String(device.mtu));
    await disconnect();
  },
);
