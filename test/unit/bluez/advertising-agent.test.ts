import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidArgumentError } from '../../../src/core/index.js';
import { advertisementProperties } from '../../../src/bluez/advertising.js';
import { ObjectTree } from '../../../src/dbus/client/object-tree.js';
import { Agent } from '../../../src/peripheral/index.js';
import { FakeBus } from '../peripheral/fake-bus.js';

test('advertisement options become LEAdvertisement1 properties', () => {
  const p = advertisementProperties({
    localName: 'blekit',
    serviceUuids: ['180d', 0x180f],
    solicitUuids: ['1812'],
    serviceData: { '180d': [7] },
    appearance: 0x0340,
    includes: ['tx-power'],
    timeout: 0,
    duration: 3,
  });
  const v = (k: string): unknown => p[k]?.get();
  assert.equal(v('Type'), 'peripheral');
  assert.deepEqual(v('ServiceUUIDs'), [
    '0000180d-0000-1000-8000-00805f9b34fb',
    '0000180f-0000-1000-8000-00805f9b34fb',
  ]);
  assert.equal('ManufacturerData' in p, false);
  assert.equal(v('Appearance'), 0x0340);
  assert.equal('Timeout' in p, false, 'timeout 0 means forever: no Timeout property');
  assert.equal(v('Duration'), 3);
  assert.equal(advertisementProperties({ timeout: 60 }).Timeout?.get(), 60);
});

test('manufacturer data becomes an a{qv} ManufacturerData property', () => {
  const p = advertisementProperties({ manufacturerData: new Map([[0xffff, [1, 2]]]) });
  assert.equal(p.ManufacturerData?.signature, 'a{qv}');
  assert.deepEqual(Object.keys(p.ManufacturerData?.get() as object), ['65535']);
});

test('bad advertisement options fail before any I/O', () => {
  const bad = [
    { type: 'beacon' },
    { localName: '' },
    { serviceUuids: ['nope'] },
    { manufacturerData: { 70000: [1] } },
    { appearance: -1 },
    { includes: ['colour'] },
    { localName: 'x', includes: ['local-name'] },
    { timeout: 1.5 },
    { minInterval: 100, maxInterval: 50 },
    { type: 'broadcast', discoverable: true },
    { txPower: 30 },
  ];
  for (const o of bad)
    assert.throws(
      () => advertisementProperties(o as never),
      InvalidArgumentError,
      JSON.stringify(o),
    );
});

const AGENT = 'org.bluez.Agent1';
const DEV = '/org/bluez/hci1/dev_00_AA_01_00_00_00';

async function agentCall(agent: Agent, member: string, sig: string, body: unknown[]) {
  const bus = new FakeBus();
  const tree = new ObjectTree(bus);
  tree.attach();
  tree.export('/a', agent.objectSpec());
  return bus.invoke('/a', AGENT, member, sig, body);
}

test('an agent rejects every request it has no callback for', async () => {
  const agent = new Agent({ capability: 'KeyboardDisplay' });
  for (const [m, sig, body] of [
    ['RequestConfirmation', 'ou', [DEV, 123]],
    ['RequestAuthorization', 'o', [DEV]],
    ['RequestPasskey', 'o', [DEV]],
    ['AuthorizeService', 'os', [DEV, '0000180d-0000-1000-8000-00805f9b34fb']],
  ] as const) {
    const r = await agentCall(agent, m, sig, [...body]);
    assert.equal(r.errorName, 'org.bluez.Error.Rejected', m);
  }
});

test('an agent answers through its callbacks', async () => {
  const seen: string[] = [];
  const agent = new Agent({
    onConfirm: async (d, pk) => {
      seen.push(`${d.address} ${pk}`);
      return true;
    },
    onPasskey: () => 42,
    onAuthorize: () => false,
  });
  let r = await agentCall(agent, 'RequestConfirmation', 'ou', [DEV, 123]);
  assert.equal(r.errorName, undefined);
  assert.deepEqual(seen, ['00:AA:01:00:00:00 000123']);
  r = await agentCall(agent, 'RequestPasskey', 'o', [DEV]);
  assert.deepEqual(r.body, [42]);
  r = await agentCall(agent, 'RequestAuthorization', 'o', [DEV]);
  assert.equal(r.errorName, 'org.bluez.Error.Rejected');
  assert.throws(() => new Agent({ capability: 'Telepathy' as never }), InvalidArgumentError);
});
