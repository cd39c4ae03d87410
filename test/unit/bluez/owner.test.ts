// The org.bluez owner watch both roles share: the rule the bus daemon gets, and what a
// NameOwnerChanged says about bluetoothd.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SignalRouter } from '../../../src/dbus/client/signals.js';
import type { WireMessage } from '../../../src/dbus/message-codec.js';
import { BLUEZ_OWNER_MATCH, BLUEZ_OWNER_RULE, bluezOwnerChange } from '../../../src/bluez/owner.js';

function ownerChanged(name: string, from: string, to: string): WireMessage {
  return {
    type: 4,
    flags: 0,
    serial: 1,
    sender: 'org.freedesktop.DBus',
    path: '/org/freedesktop/DBus',
    interface: 'org.freedesktop.DBus',
    member: 'NameOwnerChanged',
    signature: 'sss',
    body: [name, from, to],
  } as WireMessage;
}

test('the rule asks the bus daemon for org.bluez only', () => {
  assert.equal(
    BLUEZ_OWNER_RULE,
    "type='signal',sender='org.freedesktop.DBus',interface='org.freedesktop.DBus'," +
      "member='NameOwnerChanged',arg0='org.bluez'",
  );
});

test('leaving, arriving and a direct hand-over read as false, true, true', () => {
  assert.equal(bluezOwnerChange(ownerChanged('org.bluez', ':1.4', '')), false);
  assert.equal(bluezOwnerChange(ownerChanged('org.bluez', '', ':1.9')), true);
  assert.equal(bluezOwnerChange(ownerChanged('org.bluez', ':1.4', ':1.9')), true);
  assert.equal(bluezOwnerChange(ownerChanged('org.example', ':1.4', '')), undefined);
  const other = { ...ownerChanged('org.bluez', ':1.4', ''), member: 'NameLost' };
  assert.equal(bluezOwnerChange(other), undefined);
});

test("a router with the owner rule passes org.bluez's changes and no other name's", () => {
  const router = new SignalRouter();
  const seen: unknown[] = [];
  router.add(BLUEZ_OWNER_MATCH, (m) => seen.push(m.body[0]));
  const fail = (e: unknown) => assert.fail(String(e));
  router.route(ownerChanged('org.example', '', ':1.7'), fail);
  router.route(ownerChanged('org.bluez', ':1.4', ''), fail);
  assert.deepEqual(seen, ['org.bluez']);
});
