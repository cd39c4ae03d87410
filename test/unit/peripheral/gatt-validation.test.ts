import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { AttError, AttErrorCode, InvalidArgumentError } from '../../../src/core/index.js';
import {
  applyWrite,
  isExpressibleAttCode,
  sliceForOffset,
  toDBusReply,
} from '../../../src/bluez/gatt-requests.js';
import { validateService } from '../../../src/peripheral/gatt/validate.js';

const bad: [string, unknown][] = [
  ['bad service uuid', { uuid: 'xyz' }],
  ['GAP service', { uuid: 0x1800 }],
  ['unknown flag', { uuid: '180d', characteristics: [{ uuid: '2a37', flags: ['reed'] }] }],
  ['empty flags', { uuid: '180d', characteristics: [{ uuid: '2a37', flags: [] }] }],
  [
    'CCCD declared',
    { uuid: '180d', characteristics: [{ uuid: '2a37', descriptors: [{ uuid: 0x2902 }] }] },
  ],
  [
    'value too long',
    { uuid: '180d', characteristics: [{ uuid: '2a37', value: Buffer.alloc(513) }] },
  ],
  ['handle out of range', { uuid: '180d', handle: 0x10000 }],
  [
    'fastWrite without wwr',
    { uuid: '180d', characteristics: [{ uuid: '2a37', flags: ['write'], fastWrite: true }] },
  ],
  [
    'bad descriptor flag',
    {
      uuid: '180d',
      characteristics: [{ uuid: '2a37', descriptors: [{ uuid: 0x2901, flags: ['notify'] }] }],
    },
  ],
  ['onRead not a function', { uuid: '180d', characteristics: [{ uuid: '2a37', onRead: 5 }] }],
];

for (const [name, def] of bad) {
  test(`validateService rejects: ${name}`, () => {
    assert.throws(() => validateService(def as never), InvalidArgumentError);
  });
}

test('validateService accepts every BlueZ characteristic flag and 16/32/128-bit UUIDs', () => {
  validateService({
    uuid: '12345678-1234-5678-1234-56789abcdef0',
    primary: false,
    characteristics: [
      {
        uuid: 0x2a37,
        flags: [
          'broadcast',
          'read',
          'write-without-response',
          'write',
          'notify',
          'indicate',
          'authenticated-signed-writes',
          'extended-properties',
          'reliable-write',
          'writable-auxiliaries',
          'encrypt-read',
          'encrypt-write',
          'encrypt-authenticated-read',
          'encrypt-authenticated-write',
          'secure-read',
          'secure-write',
          'authorize',
        ],
      },
      { uuid: '0000abcd', descriptors: [{ uuid: '2901', value: 'label' }] },
    ],
  });
});

test('AttErrors map to the D-Bus errors BlueZ turns into the same ATT code', () => {
  const cases: [number, string, string?][] = [
    [0x80, 'org.bluez.Error.Failed', '0x80'],
    [0x9f, 'org.bluez.Error.Failed', '0x9f'],
    [AttErrorCode.InvalidOffset, 'org.bluez.Error.InvalidOffset'],
    [AttErrorCode.InvalidAttributeValueLength, 'org.bluez.Error.InvalidValueLength'],
    [AttErrorCode.WriteNotPermitted, 'org.bluez.Error.NotPermitted'],
    [AttErrorCode.ReadNotPermitted, 'org.bluez.Error.NotPermitted'],
    [AttErrorCode.InsufficientAuthorization, 'org.bluez.Error.NotAuthorized'],
    [AttErrorCode.RequestNotSupported, 'org.bluez.Error.NotSupported'],
    [AttErrorCode.ProcedureAlreadyInProgress, 'org.bluez.Error.InProgress'],
  ];
  for (const [code, name, text] of cases) {
    const r = toDBusReply(new AttError(code));
    assert.equal(r.type, name, `code 0x${code.toString(16)}`);
    if (text) assert.equal(r.text, text);
    assert.ok(isExpressibleAttCode(code));
  }
  // Not expressible through BlueZ 5.66, and plain errors: 0x0e via an out-of-range code.
  for (const e of [new AttError(AttErrorCode.InsufficientEncryption), new Error('bug'), 'x']) {
    const r = toDBusReply(e);
    assert.equal(r.type, 'org.bluez.Error.Failed');
    assert.equal(r.text, '0xff');
  }
  assert.equal(isExpressibleAttCode(0x0f), false);
});

test('sliceForOffset serves long reads and rejects offsets past the end', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 512 }), fc.nat(600), (bytes, off) => {
      const v = Buffer.from(bytes);
      if (off > v.length) {
        assert.throws(
          () => sliceForOffset(v, off),
          (e: unknown) => e instanceof AttError && e.attCode === 0x07,
        );
      } else {
        assert.deepEqual(sliceForOffset(v, off), v.subarray(off));
      }
    }),
  );
});

test('applyWrite writes at an offset and enforces the attribute length limit', () => {
  assert.deepEqual(
    applyWrite(Buffer.from([1, 2, 3]), Buffer.from([9, 9]), 2, 512),
    Buffer.from([1, 2, 9, 9]),
  );
  assert.deepEqual(applyWrite(Buffer.from([1, 2, 3]), Buffer.from([7]), 0, 512), Buffer.from([7]));
  assert.throws(
    () => applyWrite(Buffer.alloc(1), Buffer.alloc(1), 2, 512),
    (e: unknown) => e instanceof AttError && e.attCode === 0x07,
  );
  assert.throws(
    () => applyWrite(Buffer.alloc(10), Buffer.alloc(10), 5, 12),
    (e: unknown) => e instanceof AttError && e.attCode === 0x0d,
  );
});
