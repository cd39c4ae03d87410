// blekit's mgmt client against the lab's kernel, each result checked against btmgmt's view.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Mgmt, MgmtError } from '../../../src/mgmt/index.js';
import { assertInLab, btmgmt, HCI0_ADDR, HCI1_ADDR } from '../../support/proc.js';
import { asBtmgmtSettings, btmgmtInfo } from './support.js';

const T = 30_000;
let mgmt: Mgmt;
/** A second socket: the kernel sends setting changes to every socket except the requester's. */
let observer: Mgmt;
let hci1Connectable = false;

before(async () => {
  assertInLab();
  mgmt = await Mgmt.open({ timeoutMs: T });
  observer = await Mgmt.open({ timeoutMs: T });
  const info = await mgmt.send('ReadControllerInformation', 1);
  hci1Connectable = info.currentSettings.includes('connectable');
});

after(async () => {
  // Leave hci1 as found: powered, advertising off, connectable as before.
  try {
    await mgmt.send('SetAdvertising', 1, { advertising: false });
    await mgmt.send('SetPowered', 1, { powered: true });
    await mgmt.send('SetConnectable', 1, { connectable: hci1Connectable });
  } finally {
    mgmt.close();
    observer.close();
  }
});

test('version and index list match btmgmt', async () => {
  const v = await mgmt.send('ReadManagementVersionInformation', undefined);
  const out = await btmgmt(['revision']);
  assert.match(out, new RegExp(`MGMT Version ${v.version}, revision ${v.revision}\\b`));
  assert.ok(v.version >= 1);

  const list = await mgmt.send('ReadControllerIndexList', undefined);
  assert.deepEqual([...list.controllers].sort(), [0, 1]);
  const info = await btmgmt(['info']);
  assert.match(info, new RegExp(`Index list with ${list.controllers.length} items`));
  for (const i of list.controllers) assert.match(info, new RegExp(`^hci${i}:`, 'm'));

  const supported = await mgmt.send('ReadManagementSupportedCommands', undefined);
  assert.ok(supported.commands.includes(0x0005), 'Set Powered is supported');
  assert.ok(supported.events.includes(0x0012), 'Device Found is supported');
});

test('controller information of both controllers matches btmgmt', async () => {
  for (const [index, addr] of [
    [0, HCI0_ADDR],
    [1, HCI1_ADDR],
  ] as const) {
    const ours = await mgmt.send('ReadControllerInformation', index);
    const theirs = await btmgmtInfo(index);
    assert.equal(ours.address, addr);
    assert.equal(ours.address, theirs.addr);
    assert.equal(ours.bluetoothVersion, theirs.version);
    assert.equal(ours.manufacturer, theirs.manufacturer);
    assert.equal(ours.classOfDevice, theirs.class);
    assert.deepEqual(asBtmgmtSettings(ours.supportedSettings), theirs.supported);
    assert.deepEqual(asBtmgmtSettings(ours.currentSettings), theirs.current);
    assert.equal(ours.name, theirs.name);
    assert.ok(ours.currentSettings.includes('powered') && ours.currentSettings.includes('le'));
  }
});

test('hci1 powers off and on, and another socket sees NewSettings each time', async () => {
  const offSeen = observer.waitFor('NewSettings', (ev) => ev.index === 1, { timeoutMs: T });
  const off = await mgmt.send('SetPowered', 1, { powered: false });
  assert.ok(!off.currentSettings.includes('powered'));
  const offEv = await offSeen;
  assert.deepEqual(offEv.params.currentSettings, off.currentSettings);
  assert.ok(!(await btmgmtInfo(1)).current.includes('powered'), 'btmgmt sees hci1 off');

  const onSeen = observer.waitFor('NewSettings', (ev) => ev.index === 1, { timeoutMs: T });
  const on = await mgmt.send('SetPowered', 1, { powered: true });
  assert.ok(on.currentSettings.includes('powered'));
  const onEv = await onSeen;
  assert.ok(onEv.params.currentSettings.includes('powered'));
  assert.deepEqual(asBtmgmtSettings(on.currentSettings), (await btmgmtInfo(1)).current);
});

test('hci0 discovers hci1 advertising: DeviceFound with its address and name', async () => {
  await mgmt.send('SetLowEnergy', 1, { lowEnergy: true });
  await mgmt.send('SetConnectable', 1, { connectable: true });
  // Active scanning merges the scan response, which carries hci1's name, into the report.
  const found = mgmt.waitFor(
    'DeviceFound',
    (ev) => ev.params.address === HCI1_ADDR && ev.params.eirData.ad?.localName !== undefined,
    {
      index: 0,
      timeoutMs: T,
    },
  );
  const discovering = mgmt.waitFor('Discovering', (ev) => ev.params.discovering === 1, {
    index: 0,
    timeoutMs: T,
  });
  const started = await mgmt.send('StartDiscovery', 0, { addressType: ['le-public', 'le-random'] });
  assert.deepEqual(started.addressType, ['le-public', 'le-random']);
  await discovering;
  // btvirt sends one report per advertising enable, so advertising starts after the scan.
  const adv = await mgmt.send('SetAdvertising', 1, { advertising: true });
  assert.ok(adv.currentSettings.includes('advertising'));
  try {
    const ev = await found;
    assert.equal(ev.params.addressType, 'le-public');
    assert.ok(ev.params.rssi >= -127 && ev.params.rssi <= 127);
    assert.ok(!ev.params.flags.includes('not-connectable'), 'hci1 is connectable');
    const theirs = await btmgmtInfo(1);
    assert.ok(theirs.current.includes('advertising'), 'btmgmt sees hci1 advertising');
    assert.ok(ev.params.eirData.ad, `EIR decodes: ${ev.params.eirData.adError}`);
    assert.equal(ev.params.eirData.ad?.localName, theirs.name);
  } finally {
    await mgmt.send('StopDiscovery', 0, { addressType: ['le-public', 'le-random'] });
    await mgmt.send('SetAdvertising', 1, { advertising: false });
    await mgmt.send('SetConnectable', 1, { connectable: hci1Connectable });
  }
  assert.ok(!(await btmgmtInfo(1)).current.includes('advertising'));
});

test('an advertising instance is added and removed, as btmgmt advinfo shows', async () => {
  const before = await mgmt.send('ReadAdvertisingFeatures', 1);
  const info = await btmgmt(['-i', 'hci1', 'advinfo']);
  assert.match(info, new RegExp(`Max advertising data len: ${before.maxAdvDataLen}\\b`));
  assert.match(info, new RegExp(`Max scan response data len: ${before.maxScanRspLen}\\b`));
  assert.match(info, new RegExp(`Max instances: ${before.maxInstances}\\b`));
  assert.match(info, new RegExp(`Instances list with ${before.instances.length} item`));
  const instance = [1, 2, 3, 4, 5].find((n) => !before.instances.includes(n)) ?? 1;

  const added = observer.waitFor('AdvertisingAdded', (ev) => ev.index === 1, { timeoutMs: T });
  const r = await mgmt.send('AddAdvertising', 1, {
    instance,
    flags: ['discoverable'],
    duration: 0,
    timeout: 0,
    advData: { manufacturerData: new Map([[0xffff, Buffer.from('blekit')]]) },
    scanRsp: new Uint8Array(0),
  });
  assert.equal(r.instance, instance);
  assert.equal((await added).params.instance, instance);
  const mid = await mgmt.send('ReadAdvertisingFeatures', 1);
  assert.ok(mid.instances.includes(instance));
  assert.match(
    await btmgmt(['-i', 'hci1', 'advinfo']),
    new RegExp(`Instances list with ${mid.instances.length} item`),
  );

  const removed = observer.waitFor('AdvertisingRemoved', (ev) => ev.index === 1, {
    timeoutMs: T,
  });
  assert.deepEqual(await mgmt.send('RemoveAdvertising', 1, { instance }), { instance });
  assert.equal((await removed).params.instance, instance);
  const afterRemove = await mgmt.send('ReadAdvertisingFeatures', 1);
  assert.deepEqual(afterRemove.instances, before.instances);
  assert.match(
    await btmgmt(['-i', 'hci1', 'advinfo']),
    new RegExp(`Instances list with ${before.instances.length} item`),
  );
});

test('a failing command is a MgmtError with the status name', async () => {
  const err = await mgmt.send('RemoveAdvertising', 1, { instance: 0xfe }).catch((e: unknown) => e);
  assert.ok(err instanceof MgmtError, String(err));
  assert.equal(err.statusName, 'Invalid Parameters');
  const bad = await mgmt.send('ReadControllerInformation', 7).catch((e: unknown) => e);
  assert.ok(bad instanceof MgmtError && bad.statusName === 'Invalid Index', String(bad));
});

test('several commands in flight get their own replies', async () => {
  const [a, b, c, d] = await Promise.all([
    mgmt.send('ReadControllerInformation', 0),
    mgmt.send('ReadControllerInformation', 1),
    mgmt.send('ReadManagementVersionInformation', undefined),
    mgmt.send('ReadAdvertisingFeatures', 1),
  ]);
  assert.equal(a.address, HCI0_ADDR);
  assert.equal(b.address, HCI1_ADDR);
  assert.ok(c.version >= 1);
  assert.ok(d.maxInstances >= 1);
});
