import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RSSI_NOT_AVAILABLE, rssiOrUndefined, rssiToHci } from '../../../src/core/index.js';

test('rssiOrUndefined: 127 ("not available") and non-numbers are absent, readings pass', () => {
  assert.equal(RSSI_NOT_AVAILABLE, 127);
  assert.equal(rssiOrUndefined(127), undefined);
  assert.equal(rssiOrUndefined(undefined), undefined);
  assert.equal(rssiOrUndefined(NaN), undefined);
  assert.equal(rssiOrUndefined(Infinity), undefined);
  for (const v of [-127, -60, 0, 20, 126]) assert.equal(rssiOrUndefined(v), v);
});

test('rssiToHci: absent becomes 127, readings are clamped to -127..20 whole dBm', () => {
  assert.equal(rssiToHci(undefined), 127);
  assert.equal(rssiToHci(127), 127);
  assert.equal(rssiToHci(NaN), 127);
  assert.equal(rssiToHci(-40), -40);
  assert.equal(rssiToHci(-40.6), -41);
  assert.equal(rssiToHci(-128), -127);
  assert.equal(rssiToHci(-500), -127);
  assert.equal(rssiToHci(21), 20);
  assert.equal(rssiToHci(126), 20);
});
