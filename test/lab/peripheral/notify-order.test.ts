// The ordering half of the notification proof. With EATT on, BlueZ spreads notifications over
// several ATT bearers and the protocol gives no order across them (gatt.test.ts counts the late
// ones). On one bearer (EATT off) order is guaranteed: bleak must then get all 1,000 in order,
// over our AcquireNotify socket and over D-Bus PropertiesChanged alike.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Peripheral, type LocalService } from '../../../src/peripheral/index.js';
import { HCI1_ADDR } from '../../support/proc.js';
import { freshStack, restoreDefaultStack } from '../../support/stack.js';
import { advertiseUntil, runClient, seqBuf } from './support.js';

const base = (n: number): string =>
  `b1e0${n.toString(16).padStart(4, '0')}-0000-4000-8000-00000000b1e1`;
const U = { svc: base(0), fast: base(1), slow: base(2) };
const COUNT = 1000;

let p: Peripheral;
let svc: LocalService;
const pumps: Promise<void>[] = [];
let lines: Record<string, unknown>[] = [];

before(async () => {
  await freshStack({ gattChannels: 1 });
  p = await Peripheral.open({ adapter: 'hci1', handleSignals: false });
  [svc] = (await p.addServices([
    {
      uuid: U.svc,
      characteristics: [
        { uuid: U.fast, flags: ['notify'] },
        { uuid: U.slow, flags: ['notify'], fastNotify: false },
      ],
    },
  ])) as [LocalService];
  p.on('subscribe', (ev) => {
    const ch = svc.characteristic(ev.characteristic.uuid)!;
    pumps.push(
      (async () => {
        for (let i = 0; i < COUNT; i++) await ch.notify(seqBuf(i));
      })(),
    );
  });
  const plan = [
    { op: 'notify', uuid: U.fast, count: COUNT, timeout: 240 },
    { op: 'notify', uuid: U.slow, count: COUNT, timeout: 240 },
  ];
  const client = runClient('gatt_client.py', [HCI1_ADDR, JSON.stringify(plan), U.svc], 580_000);
  const connected = client.waitFor((l) => l.event === 'connected', 200_000);
  await advertiseUntil(p, { localName: 'blekit-order', serviceUuids: [U.svc] }, connected);
  await connected;
  const { code, stderr } = await client.done;
  lines = client.lines;
  assert.equal(code, 0, stderr + JSON.stringify(lines).slice(0, 3000));
});

after(async () => {
  await Promise.allSettled(pumps);
  await p?.close();
  await restoreDefaultStack();
});

function inOrder(step: number): void {
  const r = lines.find((l) => l.step === step) as { received: number; seqs: number[] } | undefined;
  assert.ok(r, `no result for step ${step}: ${JSON.stringify(lines).slice(0, 500)}`);
  assert.equal(r.received, COUNT, `received ${r.received} of ${COUNT}`);
  assert.deepEqual(
    r.seqs,
    Array.from({ length: COUNT }, (_, i) => i),
    'every sequence number once, in order',
  );
}

test('one ATT bearer: 1000 notifications over the AcquireNotify socket arrive in order', () => {
  inOrder(0);
});

test('one ATT bearer: 1000 notifications over D-Bus PropertiesChanged arrive in order', () => {
  inOrder(1);
});
