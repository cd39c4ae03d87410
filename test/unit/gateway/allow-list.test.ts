import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError, PermissionError } from '../../../src/core/errors.js';
import { AllowList } from '../../../src/gateway/allow-list.js';

const A = '00:AA:01:01:00:01';
const B = '00:AA:01:02:00:02';
const HR = '0000180d-0000-1000-8000-00805f9b34fb';

test('an empty allow-list refuses every connect and write, saying how to allow', () => {
  const allow = new AllowList();
  assert.equal(allow.empty, true);
  assert.throws(
    () => allow.checkConnect(A, [HR]),
    (e: unknown) => {
      assert.ok(e instanceof PermissionError);
      assert.match(e.message, /--allow/);
      return true;
    },
  );
  assert.throws(() => allow.checkWrite(A, HR), PermissionError);
});

test('an address allows that device only; a service allows its advertisers and its characteristics', () => {
  const allow = new AllowList(['00:aa:01:01:00:01', '180d']);
  allow.checkConnect(A, []);
  allow.checkWrite(A, undefined);
  allow.checkWrite(A, '0000180f-0000-1000-8000-00805f9b34fb');
  allow.checkConnect(B, [HR]);
  allow.checkWrite(B, HR);
  assert.throws(() => allow.checkConnect(B, []), /not allowed/);
  assert.throws(() => allow.checkWrite(B, '0000180f-0000-1000-8000-00805f9b34fb'), PermissionError);
  assert.throws(() => allow.checkWrite(B, undefined), PermissionError);
});

test('allow-list entries must be addresses or UUIDs', () => {
  assert.throws(() => new AllowList(['kitchen']), InvalidArgumentError);
});
