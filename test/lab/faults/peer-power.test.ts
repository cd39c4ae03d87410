// Fault suite (issue 18): the peer's controller (hci1) is powered off and on again under a
// central (D-Bus backend, hci0) with auto-reconnect and two subscriptions. The Device must
// reconnect and restore both; when the peer comes back without the subscribed characteristics
// it must report each as a SubscriptionLostError (the documented policy: the link stays, the
// lost subscription is dropped), never stay silent.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { Device } from '../../../src/central/index.js';
import { NotConnectedError, SubscriptionLostError } from '../../../src/core/index.js';
import { btmgmt } from '../../support/proc.js';
import type { LinePeer } from '../central/peers/line-peer.js';
import { FAULT, connectedRig, faultPeer, rejection, reportFault, until } from './support.js';

const T = { timeout: 240_000 };
let peer: LinePeer = faultPeer();
let device: Device;
const seq: number[] = [];
const seq2: number[] = [];

connectedRig(
  () => peer,
  { autoReconnect: { initialDelayMs: 500, maxDelayMs: 2_000 } },
  async (d) => {
    device = d;
    await device.subscribe(FAULT.seq, (v) => seq.push(v.readUInt32LE(0)));
    await device.subscribe(FAULT.seq2, (v) => seq2.push(v.readUInt32LE(0)));
  },
);

after(() => btmgmt(['-i', 'hci1', 'power', 'on']));

/** Powers hci1 off; resolves with ms until the Device saw the link drop. */
async function powerOff(): Promise<number> {
  const down = new Promise<void>((r) => device.once('disconnect', () => r()));
  const t0 = Date.now();
  await btmgmt(['-i', 'hci1', 'power', 'off']);
  await down;
  return Date.now() - t0;
}

test('peer controller off and on: reconnect restores both subscriptions', T, async () => {
  await device.write(FAULT.control, Buffer.from([2, 0]));
  await until(() => seq.length >= 2 && seq2.length >= 2, 20_000, 'values before the fault');

  const downMs = await powerOff();
  // An operation while the link is down fails at once with a typed error.
  const t1 = Date.now();
  const [err, errMs] = await rejection(device.read(FAULT.echo), t1);
  assert.ok(err instanceof NotConnectedError, `${err.name}: ${err.message}`);

  const back = new Promise<void>((r) => device.once('reconnect', () => r()));
  const t2 = Date.now();
  await btmgmt(['-i', 'hci1', 'power', 'on']);
  // btvirt sends one advertising report per enable: enabling again is what lets hci0 find it.
  await peer.advertise(true);
  await back;
  const reconnectMs = Date.now() - t2;
  await peer.advertise(false);
  assert.equal(device.connected, true);

  seq.length = 0;
  seq2.length = 0;
  await device.write(FAULT.control, Buffer.from([0xff, 0xff, 0xff, 0xff]));
  await device.write(FAULT.control, Buffer.from([2, 0]));
  await until(() => seq.length >= 2 && seq2.length >= 2, 20_000, 'values on both after reconnect');
  assert.deepEqual(
    [seq, seq2],
    [
      [0, 1],
      [0, 1],
    ],
  );
  reportFault({
    case: 'peer controller powered off/on (auto-reconnect)',
    happened: `'disconnect' after ${downMs} ms; reads meanwhile: ${err.name}; 'reconnect' ${reconnectMs} ms after power on`,
    typedErrorMs: errMs,
    recovered: 'yes: both subscriptions deliver again',
  });
});

test(
  'peer back without the subscribed characteristics: SubscriptionLostError each',
  T,
  async () => {
    await powerOff();
    await peer.kill();
    peer = faultPeer('hci1', peer.address, true);
    await peer.start();
    const lost: SubscriptionLostError[] = [];
    device.on('subscriptionLost', (e) => lost.push(e));
    const t0 = Date.now();
    await btmgmt(['-i', 'hci1', 'power', 'on']);
    await peer.advertise(true);
    await until(() => lost.length >= 2, 90_000, 'subscriptionLost for both');
    const ms = Date.now() - t0;
    await peer.advertise(false);
    assert.deepEqual(lost.map((e) => e.characteristic).sort(), [FAULT.seq, FAULT.seq2].sort());
    for (const e of lost) assert.ok(e instanceof SubscriptionLostError);
    // The policy: the link stays and the rest of the service works.
    assert.equal(device.connected, true);
    await device.write(FAULT.echo, Buffer.from('still here'));
    assert.deepEqual(await device.read(FAULT.echo), Buffer.from('still here'));
    reportFault({
      case: 'peer back after power-cycle without the subscribed chars',
      happened: `reconnect, then 'subscriptionLost' x${lost.length}; link kept`,
      typedErrorMs: ms,
      recovered: 'link yes (reads/writes work); subscriptions reported lost',
    });
  },
);
