import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  alreadySecure,
  encryptedIn,
  levelFor,
  levelInOptions,
  withLevel,
} from '../../../../src/backends/gatttool/link-security.js';

const CON = [
  'Connections:',
  '\t< LE 00:AA:01:01:00:01 handle 3585 state 1 lm MASTER AUTH ENCRYPT ',
  '\t> LE 00:AA:01:02:00:02 handle 3586 state 1 lm PERIPHERAL ',
  '',
].join('\n');

test('hcitool con: the ENCRYPT link mode of the link to one address', () => {
  assert.equal(encryptedIn(CON, '00:AA:01:01:00:01'), true);
  assert.equal(encryptedIn(CON, '00:AA:01:02:00:02'), false);
  assert.equal(encryptedIn(CON, '00:AA:01:03:00:03'), undefined);
  assert.equal(encryptedIn('Connections:\n', '00:AA:01:01:00:01'), undefined);
});

test('the level among gatttool options, and replacing it', () => {
  assert.equal(levelInOptions([]), 'low');
  assert.equal(levelInOptions(['--mtu=247', '--sec-level=medium']), 'medium');
  assert.equal(levelInOptions(['-l', 'high']), 'high');
  assert.equal(levelInOptions(['--sec-level', 'bogus']), 'low');
  assert.deepEqual(withLevel(['--mtu=247', '--sec-level=low'], 'medium'), [
    '--mtu=247',
    '--sec-level=medium',
  ]);
  assert.deepEqual(withLevel(['-l', 'low', '-m', '100'], 'high'), [
    '-m',
    '100',
    '--sec-level=high',
  ]);
});

test('which ATT errors a higher security level answers', () => {
  assert.equal(levelFor(0x0f, 'low'), 'medium');
  assert.equal(levelFor(0x0f, 'medium'), undefined);
  assert.equal(levelFor(0x0c, 'low'), 'medium');
  assert.equal(levelFor(0x05, 'low'), 'medium');
  assert.equal(levelFor(0x05, 'medium'), 'high');
  assert.equal(levelFor(0x05, 'high'), undefined);
  assert.equal(levelFor(0x0e, 'low'), undefined);
});

test("EINVAL from BT_SECURITY means the link already has the level; other errors don't", () => {
  assert.equal(alreadySecure('setsockopt(BT_SECURITY): Invalid argument (22)'), true);
  assert.equal(alreadySecure('setsockopt(BT_SECURITY): Permission denied (13)'), false);
  assert.equal(alreadySecure('connect error: Invalid argument (22)'), false);
});
