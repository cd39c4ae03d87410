import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FleetView } from '../../../src/gateway/fleet-view.js';

const D = '00:AA:01:01:00:01';

function fleet(): FleetView {
  const v = new FleetView('gw-b', 10_000);
  v.setOnline('gw-a', true);
  v.setOnline('gw-c', true);
  return v;
}

test('an ownerless device goes to the loudest recent gateway', () => {
  const v = fleet();
  v.sighting(D, 'gw-a', -80, 1000);
  v.sighting(D, 'gw-b', -60, 1000);
  v.sighting(D, 'gw-c', -70, 1000);
  assert.equal(v.elect(D, 2000), 'gw-b');
});

test('equal RSSI goes to the lower gateway id; a radio without RSSI counts weakest', () => {
  const v = fleet();
  v.sighting(D, 'gw-c', -70, 1000);
  v.sighting(D, 'gw-a', -70, 1000);
  v.sighting(D, 'gw-b', undefined, 1000);
  assert.equal(v.elect(D, 1000), 'gw-a');
});

test('stale sightings and offline gateways do not count; nobody left: undefined', () => {
  const v = fleet();
  v.sighting(D, 'gw-a', -50, 0);
  v.sighting(D, 'gw-c', -90, 9_000);
  assert.equal(v.elect(D, 12_000), 'gw-c', 'gw-a was heard 12 s ago, over recentMs');
  v.setOnline('gw-c', false);
  assert.equal(v.elect(D, 12_000), undefined);
});

test('an online owner keeps its device even when another gateway hears it louder', () => {
  const v = fleet();
  v.setOwner(D, 'gw-c');
  v.sighting(D, 'gw-a', -40, 1000);
  v.sighting(D, 'gw-c', -90, 1000);
  assert.equal(v.elect(D, 1000), 'gw-c');
});

test('an owner going offline returns its devices as orphans and the next best is elected', () => {
  const v = fleet();
  v.setOwner(D, 'gw-a');
  v.sighting(D, 'gw-a', -40, 1000);
  v.sighting(D, 'gw-c', -75, 1000);
  v.sighting(D, 'gw-b', -80, 1000);
  assert.deepEqual(v.setOnline('gw-a', false), [D]);
  assert.equal(v.owner(D), undefined);
  assert.equal(v.elect(D, 2000), 'gw-c');
  assert.deepEqual(v.setOnline('gw-b', false), [], 'owning nothing, it orphans nothing');
});

test('a benched gateway sits out the elections of that device until its time is up', () => {
  const v = fleet();
  v.sighting(D, 'gw-a', -40, 1000);
  v.sighting(D, 'gw-c', -75, 1000);
  v.bench(D, 'gw-a', 5000, 1000);
  assert.equal(v.elect(D, 2000), 'gw-c');
  v.sighting(D, 'gw-a', -40, 6500);
  v.sighting(D, 'gw-c', -75, 6500);
  assert.equal(v.elect(D, 6500), 'gw-a');
});

test('the spokesman is the lowest online id; prune forgets devices nobody heard or owns', () => {
  const v = fleet();
  assert.equal(v.spokesman(), 'gw-a');
  v.setOnline('gw-a', false);
  assert.equal(v.spokesman(), 'gw-b');
  v.sighting(D, 'gw-c', -70, 0);
  v.prune(20_000);
  v.setOwner(D, undefined);
  v.sighting('00:AA:01:02:00:02', 'gw-c', -70, 20_000);
  assert.equal(v.elect(D, 20_000), undefined);
  assert.equal(v.elect('00:AA:01:02:00:02', 20_000), 'gw-c');
});
