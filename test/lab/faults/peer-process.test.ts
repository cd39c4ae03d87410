// Fault suite (issue 18): the peer's application process is killed (SIGKILL) while blekit's
// central (D-Bus backend, hci0) has a read pending, a write pending, and a subscription running.
// The link is the peer adapter's and stays up; bluetoothd answers the pending ATT request with
// an error and drops the application's services. Each case measures the time from the kill to
// blekit's typed error, then starts the peer again and checks the same Device works.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Device } from '../../../src/central/index.js';
import { BleError, SubscriptionLostError, withTimeout } from '../../../src/core/index.js';
import { FAULT, connectedRig, faultPeer, rejection, reportFault, sleep, until } from './support.js';

const T = { timeout: 180_000 };
const peer = faultPeer();
let device: Device;

connectedRig(
  () => peer,
  {},
  (d) => (device = d),
);

/**
 * Starts the peer again and proves the same Device reads and writes its service: waits until a
 * discovery (refreshed by the database change bluetoothd reports) lists the service again, then
 * an echo write and read. Returns ms to recover.
 */
async function restartAndCheck(): Promise<number> {
  const t0 = Date.now();
  await peer.start();
  const end = Date.now() + 60_000;
  while (!(await device.discover()).some((s) => s.uuid === FAULT.service)) {
    if (Date.now() > end) throw new Error('the service did not come back within 60 s');
    await sleep(250);
  }
  const mark = Buffer.from(`back ${t0}`);
  await device.write(FAULT.echo, mark, { timeoutMs: 30_000 });
  assert.deepEqual(await device.read(FAULT.echo, { timeoutMs: 30_000 }), mark);
  assert.equal(device.connected, true);
  return Date.now() - t0;
}

for (const [what, run, line] of [
  ['read', () => device.read(FAULT.hangRead, { timeoutMs: 60_000 }), 'pending read'],
  ['write', () => device.write(FAULT.hangWrite, [1], { timeoutMs: 60_000 }), 'pending write'],
] as const) {
  test(`peer process killed mid-${what}: typed error, then the Device works again`, T, async () => {
    const held = peer.expectLine(line, 30_000);
    const pending = run();
    pending.catch(() => undefined);
    await held;
    const t0 = Date.now();
    await peer.kill();
    const [err, ms] = await rejection(pending, t0);
    console.log(`# ${what} rejected ${ms} ms after the kill: ${err.name}: ${err.message}`);
    assert.ok(err instanceof BleError, `typed: ${err.name}: ${err.message}`);
    const back = await restartAndCheck();
    reportFault({
      case: `peer process killed mid-${what}`,
      happened: `${what} rejected with ${err.name} (${err.message.slice(0, 60)})`,
      typedErrorMs: ms,
      recovered: `yes, ${back} ms after restarting the peer`,
    });
  });
}

test(
  'peer process killed mid-subscription: SubscriptionLostError, resubscribe works',
  T,
  async () => {
    const values: number[] = [];
    await device.subscribe(FAULT.seq, (v) => values.push(v.readUInt32LE(0)));
    await device.write(FAULT.control, Buffer.from([0xff, 0xff, 0xff, 0xff]));
    await device.write(FAULT.control, Buffer.from([3, 0]));
    await until(() => values.length >= 3, 20_000, 'three notifications');
    assert.deepEqual(values, [0, 1, 2]);

    const lost = new Promise<SubscriptionLostError>((resolve) =>
      device.once('subscriptionLost', resolve),
    );
    const t0 = Date.now();
    await peer.kill();
    const err = await withTimeout(lost, 90_000, 'subscriptionLost');
    const ms = Date.now() - t0;
    assert.ok(err instanceof SubscriptionLostError);
    assert.equal(err.characteristic, FAULT.seq);
    assert.equal(device.connected, true);

    const back = await restartAndCheck();
    values.length = 0;
    await device.subscribe(FAULT.seq, (v) => values.push(v.readUInt32LE(0)));
    await device.write(FAULT.control, Buffer.from([2, 0]));
    await until(() => values.length >= 2, 20_000, 'notifications after subscribing again');
    assert.deepEqual(values, [0, 1]);
    reportFault({
      case: 'peer process killed mid-subscription',
      happened: `'subscriptionLost' (SubscriptionLostError), link kept`,
      typedErrorMs: ms,
      recovered: `yes: subscribe again after the peer returned (${back} ms)`,
    });
  },
);
