import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isTransientConnectError, mapDbusError } from '../../../src/bluez/errors.js';
import {
  AttError,
  BackendError,
  BusyError,
  NotConnectedError,
  NotFoundError,
  NotSupportedError,
  PermissionError,
  TimeoutError,
} from '../../../src/core/index.js';
import { DbusError } from '../../../src/dbus/client/errors.js';

const err = (type: string, text: string) => new DbusError(type, text);
const B = 'org.bluez.Error.';

test('ATT codes come back from BlueZ messages and names in GATT calls', () => {
  const cases: [string, string, number][] = [
    ['Failed', 'Operation failed with ATT error: 0x80', 0x80],
    ['Failed', 'Operation failed with ATT error: 0x0e', 0x0e],
    ['NotPermitted', 'Read not permitted', 0x02],
    ['NotPermitted', 'Write not permitted', 0x03],
    ['NotPermitted', 'Not paired', 0x05],
    ['InvalidArguments', 'Invalid offset', 0x07],
    ['InvalidArguments', 'Invalid Length', 0x0d],
    ['InvalidValueLength', 'Invalid value length', 0x0d],
    ['NotAuthorized', 'Operation Not Authorized', 0x08],
    ['NotSupported', 'Operation is not supported', 0x06],
  ];
  for (const [name, text, code] of cases) {
    const e = mapDbusError(err(B + name, text), 'ReadValue', 'gatt');
    assert.ok(e instanceof AttError, `${name}: ${e.name}`);
    assert.equal((e as AttError).attCode, code, name);
  }
});

test('other BlueZ and bus errors map to the typed hierarchy', () => {
  const cases: [string, string, new (...a: never[]) => Error][] = [
    [B + 'InProgress', 'In Progress', BusyError],
    [B + 'InProgress', 'Operation already in progress', BusyError],
    [B + 'Failed', 'le-connection-abort-by-local', BusyError],
    [B + 'NotConnected', 'Not Connected', NotConnectedError],
    [B + 'Failed', 'Not connected', NotConnectedError],
    [B + 'DoesNotExist', 'Does Not Exist', NotFoundError],
    [B + 'NotSupported', 'Operation is not supported', NotSupportedError],
    [B + 'AuthenticationFailed', 'Authentication Failed', PermissionError],
    [B + 'AuthenticationTimeout', 'Authentication Timeout', TimeoutError],
    [B + 'Failed', 'Something odd', BackendError],
    ['org.freedesktop.DBus.Error.UnknownObject', 'x', NotFoundError],
    ['org.freedesktop.DBus.Error.UnknownMethod', 'x', NotSupportedError],
    ['org.freedesktop.DBus.Error.AccessDenied', 'x', PermissionError],
    ['org.freedesktop.DBus.Error.ServiceUnknown', 'x', BackendError],
  ];
  for (const [type, text, cls] of cases) {
    const e = mapDbusError(err(type, text), 'Connect');
    assert.ok(e instanceof cls, `${type} ${text}: got ${e.name}`);
    assert.match(e.message, /^Connect/);
  }
  const already = new BusyError('x');
  assert.equal(mapDbusError(already, 'y'), already);
});

test('transient connect failures are the retryable ones', () => {
  assert.ok(
    isTransientConnectError(mapDbusError(err(B + 'Failed', 'le-connection-abort-by-local'), 'c')),
  );
  assert.ok(isTransientConnectError(err(B + 'InProgress', 'In Progress')));
  assert.ok(!isTransientConnectError(mapDbusError(err(B + 'Failed', 'Page Timeout'), 'c')));
  assert.ok(!isTransientConnectError(new NotFoundError('x')));
});

test('a call whose recipient left the bus is a BackendError, a real no-reply a TimeoutError', () => {
  const gone = mapDbusError(
    err(
      'org.freedesktop.DBus.Error.NoReply',
      'Message recipient disconnected from message bus without replying',
    ),
    'ReadValue /org/bluez/hci0/dev_x/char0016',
    'gatt',
  );
  assert.ok(gone instanceof BackendError, gone.name);
  assert.match(gone.message, /bluetoothd left the bus/);
  const slow = mapDbusError(
    err('org.freedesktop.DBus.Error.NoReply', 'Did not receive a reply'),
    'ReadValue',
  );
  assert.ok(slow instanceof TimeoutError, slow.name);
});
