// Issue 19: a Peripheral call its caller stopped waiting for leaves nothing registered in the
// real bluetoothd. The D-Bus request is on its way when the caller gives up; once bluetoothd
// has registered the advertisement or the agent, the Peripheral takes it back.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { AbortError, TimeoutError } from '../../../src/core/index.js';
import { getProperty, openSystemBus } from '../../../src/bluez/calls.js';
import { Agent, Peripheral } from '../../../src/peripheral/index.js';
import { assertInLab, HCI1_ADDR } from '../../support/proc.js';
import { forgetPeers, waitClean } from './support.js';

let p: Peripheral;

before(async () => {
  assertInLab();
  await forgetPeers();
  p = await Peripheral.open({ adapter: HCI1_ADDR, handleSignals: false });
});

after(async () => {
  await p?.close();
  const dirty = await waitClean();
  assert.equal(dirty, undefined, dirty);
});

async function activeInstances(): Promise<number> {
  const bus = await openSystemBus();
  try {
    return Number(
      await getProperty(
        bus,
        '/org/bluez/hci1',
        'org.bluez.LEAdvertisingManager1',
        'ActiveInstances',
      ),
    );
  } finally {
    bus.close();
  }
}

/** Polls until bluetoothd holds `n` advertisements; returns what it last saw. */
async function settle(n: number, ms = 10_000): Promise<number> {
  const end = Date.now() + ms;
  let seen = await activeInstances();
  while (seen !== n && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 100));
    seen = await activeInstances();
  }
  return seen;
}

test('an advertise() aborted in flight leaves no advertisement in bluetoothd', async () => {
  assert.equal(await activeInstances(), 0);
  const ac = new AbortController();
  const pending = p.advertise({ localName: 'aborted' }, { signal: ac.signal });
  setImmediate(() => ac.abort());
  await assert.rejects(pending, AbortError);
  assert.equal(await settle(0), 0, 'the late registration was taken back');
  // The slot is free: a plain advertise works and is counted.
  const ad = await p.advertise({ localName: 'kept' });
  assert.equal(await settle(1), 1);
  await ad.stop();
  assert.equal(await settle(0), 0);
});

test('a registerAgent() past its timeoutMs is unregistered when bluetoothd answers', async () => {
  const agent = new Agent();
  await assert.rejects(p.registerAgent(agent, { timeoutMs: 1 }), TimeoutError);
  // Taken back: the same agent registers again (a held agent would be BusyError), then leaves.
  for (let i = 0; i < 50 && agent.path !== undefined; i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  await p.registerAgent(agent);
  await p.unregisterAgent(agent);
});
