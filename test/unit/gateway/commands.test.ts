import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError } from '../../../src/core/errors.js';
import {
  MAX_COMMAND_BYTES,
  parseCommand,
  replyFieldsOf,
  validResponseTopic,
} from '../../../src/gateway/commands.js';

const parse = (o: unknown): ReturnType<typeof parseCommand> =>
  parseCommand(Buffer.from(typeof o === 'string' ? o : JSON.stringify(o)));
const A = '00:aa:01:01:00:01';

test('parseCommand accepts every command with its fields, normalized', () => {
  assert.deepEqual(
    parse({ command: 'connect', address: A, addressType: 'random', timeoutMs: 5000 }),
    {
      command: 'connect',
      address: '00:AA:01:01:00:01',
      addressType: 'random',
      timeoutMs: 5000,
    },
  );
  const w = parse({
    command: 'write',
    address: A,
    characteristic: '180D/2A39',
    value: '0102',
    withoutResponse: true,
  });
  assert.deepEqual(w.characteristic, {
    service: '0000180d-0000-1000-8000-00805f9b34fb',
    characteristic: '00002a39-0000-1000-8000-00805f9b34fb',
  });
  assert.equal(w.target, '180d/2a39');
  assert.deepEqual(w.value, Buffer.from([1, 2]));
  assert.equal(w.withoutResponse, true);
  assert.deepEqual(
    parse({ command: 'read', address: A, characteristic: '0x002a' }).characteristic,
    {
      handle: 0x2a,
    },
  );
  for (const command of ['discover', 'disconnect']) {
    assert.equal(parse({ command, address: A }).command, command);
  }
  const r = parse({
    command: 'subscribe',
    address: A,
    characteristic: '2a37',
    responseTopic: 'me/replies',
    correlationData: 'abc',
  });
  assert.equal(r.responseTopic, 'me/replies');
  assert.equal(r.correlationData, 'abc');
});

test('parseCommand refuses malformed payloads with InvalidArgumentError', () => {
  const bad: unknown[] = [
    'not json',
    '[1]',
    'null',
    { address: A },
    { command: 'reboot', address: A },
    { command: 'connect' },
    { command: 'connect', address: 'nope' },
    { command: 'connect', address: A, extra: 1 },
    { command: 'connect', address: A, characteristic: '2a19' },
    { command: 'connect', address: A, addressType: 'other' },
    { command: 'connect', address: A, timeoutMs: 0 },
    { command: 'connect', address: A, timeoutMs: 1e9 },
    { command: 'connect', address: A, timeoutMs: '5' },
    { command: 'read', address: A },
    { command: 'read', address: A, characteristic: 'xyz' },
    { command: 'read', address: A, characteristic: 'a'.repeat(100) },
    { command: 'read', address: A, characteristic: '2a19', value: '01' },
    { command: 'write', address: A, characteristic: '2a19' },
    { command: 'write', address: A, characteristic: '2a19', value: 'zz' },
    { command: 'write', address: A, characteristic: '2a19', value: 'ab'.repeat(600) },
    { command: 'write', address: A, characteristic: '2a19', value: '01', withoutResponse: 1 },
    { command: 'discover', address: A, responseTopic: 'a/#' },
    { command: 'discover', address: A, responseTopic: '$SYS/x' },
    { command: 'discover', address: A, correlationData: 'x'.repeat(300) },
    'x'.repeat(MAX_COMMAND_BYTES + 1),
  ];
  for (const b of bad) {
    assert.throws(() => parse(b), InvalidArgumentError, JSON.stringify(b).slice(0, 80));
  }
});

test('replyFieldsOf keeps only usable reply fields of a refused payload', () => {
  assert.deepEqual(
    replyFieldsOf(Buffer.from('{"command":"x","responseTopic":"r/t","correlationData":"7"}')),
    { responseTopic: 'r/t', correlationData: '7' },
  );
  assert.deepEqual(replyFieldsOf(Buffer.from('{"responseTopic":"r/#"}')), {});
  assert.deepEqual(replyFieldsOf(Buffer.from('garbage')), {});
  assert.equal(validResponseTopic(''), false);
  assert.equal(validResponseTopic('a/+/b'), false);
  assert.equal(validResponseTopic('replies/me'), true);
});
