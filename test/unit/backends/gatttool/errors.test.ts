import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  attCodeOf,
  isTransientConnectError,
  mapGatttoolError,
} from '../../../../src/backends/gatttool/errors.js';
import { checkCliOptions } from '../../../../src/backends/gatttool/backend.js';
import { parsePairedDevices } from '../../../../src/backends/gatttool/bonds.js';
import {
  assembleServices,
  hasCharacteristics,
} from '../../../../src/backends/gatttool/discovery.js';
import { lescanError, parseLescanLine } from '../../../../src/backends/gatttool/scan.js';
import { checkCommandLine } from '../../../../src/backends/gatttool/session.js';
import {
  AttError,
  BackendError,
  BusyError,
  InvalidArgumentError,
  NotConnectedError,
  NotSupportedError,
  PermissionError,
  TimeoutError,
  UNKNOWN_ATT_CODE,
} from '../../../../src/core/index.js';

test('ATT errors keep the code gatttool names in words', () => {
  const e = mapGatttoolError(
    'Characteristic value/descriptor read failed: Attribute requires authentication before read/write',
    'read 0x0003',
  );
  assert.ok(e instanceof AttError);
  assert.equal(e.attCode, 0x05);
  assert.match(e.message, /read 0x0003/);
  assert.equal(
    attCodeOf('Characteristic Write Request failed: Attribute value length is invalid'),
    0x0d,
  );
  assert.equal(
    attCodeOf('Discover all primary services failed: Encryption required before read/write'),
    0x0f,
  );
  assert.equal(
    attCodeOf('Characteristic value/descriptor read failed: Internal application error: I/O'),
    0x80,
  );
  assert.equal(attCodeOf('something else'), undefined);
  // BlueZ 5.66 spells 0x81 'occurred'; older gatttool 'occured'.
  for (const words of ['A timeout occurred', 'A timeout occured']) {
    const e81 = mapGatttoolError(`Characteristic value/descriptor read failed: ${words}`, 'r');
    assert.ok(e81 instanceof AttError, words);
    assert.equal(e81.attCode, 0x81);
  }
  // 0x9f, 0xfe ...: the peer answered with an ATT error whose code gatttool does not print.
  const unknown = mapGatttoolError(
    'Characteristic value/descriptor read failed: Unexpected error code',
    'r',
  );
  assert.ok(unknown instanceof AttError);
  assert.equal(unknown.attCode, UNKNOWN_ATT_CODE);
  assert.equal(unknown.attName, 'Unknown');
  assert.match(
    unknown.message,
    /^ATT error \(code unknown\): r \(gatttool: .*Unexpected error code/,
  );
});

test('socket and state errors map to the central typed errors', () => {
  const cases: [string, boolean, new (...a: never[]) => Error][] = [
    ['Disconnected', true, NotConnectedError],
    ['connect error: Connection refused (111)', false, NotConnectedError],
    ['connect error: Connection timed out (110)', false, TimeoutError],
    ['connect error: Device or resource busy (16)', false, BusyError],
    ['connect error: Operation not permitted (1)', false, PermissionError],
    [
      'socket(SEQPACKET, L2CAP): Address family not supported by protocol (97)',
      false,
      NotSupportedError,
    ],
    ['Invalid handle: 0xzz', false, InvalidArgumentError],
    ['foo: command not found', false, InvalidArgumentError],
    ['MTU exchange can only occur once per connection.', true, BusyError],
    ['Protocol error', false, BackendError],
  ];
  for (const [msg, failed, type] of cases) {
    assert.ok(mapGatttoolError(msg, 'op', failed) instanceof type, msg);
  }
  assert.equal(
    isTransientConnectError('connect error: Software caused connection abort (103)'),
    true,
  );
  assert.equal(isTransientConnectError('connect error: Connection refused (111)'), false);
});

test('command lines and CLI options are checked before anything runs', () => {
  assert.equal(checkCommandLine('  sec-level  '), 'sec-level');
  for (const bad of ['', '  ', 'a\nb', 'a\rb', 'a\u0000', 'x\u001b[A']) {
    assert.throws(() => checkCommandLine(bad), InvalidArgumentError, JSON.stringify(bad));
  }
  assert.deepEqual(checkCliOptions(['--sec-level=medium', '-m', '48']), [
    '--sec-level=medium',
    '-m',
    '48',
  ]);
  for (const bad of [
    ['-I'],
    ['--adapter=hci1'],
    ['-b'],
    ['--char-read'],
    ['a\nb'],
    [''],
    'x',
    [1],
  ]) {
    assert.throws(() => checkCliOptions(bad), InvalidArgumentError, JSON.stringify(bad));
  }
  assert.deepEqual(checkCliOptions(undefined), []);
});

test('discovery output becomes services with handles, properties and descriptors', () => {
  const attrs = [
    { kind: 'descriptor' as const, handle: 1, uuid: '00002800-0000-1000-8000-00805f9b34fb' },
    { kind: 'descriptor' as const, handle: 2, uuid: '00002803-0000-1000-8000-00805f9b34fb' },
    { kind: 'descriptor' as const, handle: 3, uuid: '0000c003-b1e0-4000-8000-626c656b6974' },
    { kind: 'descriptor' as const, handle: 4, uuid: '00002902-0000-1000-8000-00805f9b34fb' },
    { kind: 'descriptor' as const, handle: 5, uuid: '00002901-0000-1000-8000-00805f9b34fb' },
  ];
  assert.equal(hasCharacteristics(attrs), true);
  assert.equal(hasCharacteristics(attrs.slice(0, 1)), false);
  const services = assembleServices(
    [{ kind: 'primary', start: 1, end: 5, uuid: '0000c000-b1e0-4000-8000-626c656b6974' }],
    [
      {
        kind: 'characteristic',
        handle: 2,
        properties: 0x3a,
        valueHandle: 3,
        uuid: '0000c003-b1e0-4000-8000-626c656b6974',
      },
    ],
    attrs,
  );
  assert.equal(services.length, 1);
  const c = services[0]!.characteristics[0]!;
  assert.deepEqual(
    [c.uuid, c.handle, c.valueHandle],
    ['0000c003-b1e0-4000-8000-626c656b6974', 2, 3],
  );
  assert.deepEqual(
    [c.properties.read, c.properties.write, c.properties.notify, c.properties.indicate],
    [true, true, true, true],
  );
  assert.deepEqual(
    c.descriptors.map((d) => [d.handle, d.uuid.slice(4, 8)]),
    [
      [4, '2902'],
      [5, '2901'],
    ],
  );
});

test('hcitool lescan lines and failures; bluetoothctl paired-devices', () => {
  assert.deepEqual(parseLescanLine('00:aa:01:01:00:01 blekit peer'), {
    address: '00:AA:01:01:00:01',
    name: 'blekit peer',
  });
  assert.deepEqual(parseLescanLine('00:AA:01:01:00:01 (unknown)'), {
    address: '00:AA:01:01:00:01',
    name: undefined,
  });
  assert.equal(parseLescanLine('LE Scan ...'), undefined);
  assert.equal(parseLescanLine('00:AA:01:01:00 short'), undefined);
  assert.ok(
    lescanError('Set scan parameters failed: Operation not permitted', false) instanceof
      PermissionError,
  );
  assert.match(lescanError('sudo: a password is required', true).message, /sudo -n/);
  assert.ok(
    lescanError('Set scan parameters failed: Input/output error', false) instanceof BackendError,
  );
  assert.deepEqual(
    parsePairedDevices(
      '\x1b[0;94m[bluetooth]\x1b[0m# paired-devices\nDevice 00:AA:01:01:00:01 peer\r\nDevice 11:22:33:44:55:66 x\nVersion 5.66\n',
    ),
    ['00:AA:01:01:00:01', '11:22:33:44:55:66'],
  );
});
