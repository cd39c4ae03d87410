import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidArgumentError } from '../../../src/core/errors.js';
import { parseCliParams } from '../../../src/cli/mgmt-args.js';
import { encodeCommand } from '../../../src/mgmt/frame.js';
import { toJsonValue } from '../../../src/cli/mgmt-json.js';

test('--name value pairs are converted by field type', () => {
  assert.deepEqual(parseCliParams('SetPowered', ['--powered', 'on']), { powered: 1 });
  assert.deepEqual(parseCliParams('SetDiscoverable', ['--discoverable=1', '--timeout', '0x1e']), {
    discoverable: 1,
    timeout: 30,
  });
  assert.deepEqual(parseCliParams('StartDiscovery', ['--address-type', 'le-public,le-random']), {
    addressType: ['le-public', 'le-random'],
  });
  assert.deepEqual(
    parseCliParams('Disconnect', ['--address', '00:AA:01:01:00:01', '--addressType', 'le-public']),
    { address: '00:AA:01:01:00:01', addressType: 'le-public' },
  );
});

test('a JSON object, with hex strings for bytes, encodes to the documented frame', () => {
  const p = parseCliParams('AddAdvertising', [
    '{"instance":1,"flags":["connectable"],"duration":0,"timeout":0,"advData":"020106","scanRsp":""}',
  ]);
  assert.deepEqual(
    encodeCommand('AddAdvertising', 1, p as never),
    Buffer.from(
      '3e000100' + '0e00' + '01' + '01000000' + '0000' + '0000' + '03' + '00' + '020106',
      'hex',
    ),
  );
  const keys = parseCliParams('LoadBlockedKeys', [
    '--keys',
    '[{"keyType":1,"value":"000102030405060708090a0b0c0d0e0f"}]',
  ]);
  assert.deepEqual(
    (keys.keys as { value: Buffer }[])[0]?.value,
    Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex'),
  );
});

test('unknown names and unreadable values are InvalidArgumentErrors', () => {
  assert.throws(() => parseCliParams('SetPowered', ['--bogus', '1']), /no parameter "bogus"/);
  assert.throws(() => parseCliParams('SetPowered', ['--powered']), /needs a value/);
  assert.throws(() => parseCliParams('SetPowered', ['--powered', 'maybe']), InvalidArgumentError);
  assert.throws(() => parseCliParams('SetPowered', ['{nope']), /not valid JSON/);
  assert.throws(() => parseCliParams('SetPowered', ['stray']), /unexpected argument/);
});

test('JSON output: bytes as hex, maps as objects', () => {
  assert.deepEqual(
    toJsonValue({ a: Buffer.from([1, 2]), m: new Map([[0x1234, Buffer.from([3])]]), l: [1n] }),
    { a: '0102', m: { '4660': '03' }, l: ['1'] },
  );
});
