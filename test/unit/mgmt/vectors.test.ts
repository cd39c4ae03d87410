/**
 * Hand-written byte vectors, each laid out from the doc's header block for that command or
 * event (little-endian, addresses least significant byte first).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DecodeError, InvalidArgumentError } from '../../../src/core/errors.js';
import {
  decodeEvent,
  decodeReply,
  encodeCommand,
  encodeEvent,
  encodeReply,
} from '../../../src/mgmt/frame.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

test('Set Powered command: code 0x0005, index, length 1, Powered', () => {
  assert.deepEqual(encodeCommand('SetPowered', 1, { powered: true }), hex('0500 0100 0100 01'));
  assert.deepEqual(encodeCommand('SetPowered', 0, { powered: 0 }), hex('0500 0000 0100 00'));
});

test('Read Management Version Information: non-controller index, no parameters', () => {
  assert.deepEqual(
    encodeCommand('ReadManagementVersionInformation', 0xffff, {}),
    hex('0100 ffff 0000'),
  );
  assert.deepEqual(decodeReply('ReadManagementVersionInformation', hex('01 1600')), {
    version: 1,
    revision: 22,
  });
});

test('Current_Settings decode to named flags, unknown bits as bitN', () => {
  // bits 0, 6, 7, 9, 11: powered, ssp, br/edr, le, secure-conn
  assert.deepEqual(decodeReply('SetPowered', hex('c10a0000')), {
    currentSettings: ['powered', 'ssp', 'br/edr', 'le', 'secure-conn'],
  });
  assert.deepEqual(decodeReply('SetPowered', hex('00000080')), { currentSettings: ['bit31'] });
  assert.deepEqual(
    encodeReply('SetPowered', { currentSettings: ['le', 'advertising'] }),
    hex('00060000'),
  );
});

test('Read Controller Index List: Num_Controllers then one u16 per controller', () => {
  assert.deepEqual(decodeReply('ReadControllerIndexList', hex('0200 0000 0100')), {
    controllers: [0, 1],
  });
  assert.throws(() => decodeReply('ReadControllerIndexList', hex('0300 0000 0100')), DecodeError);
});

test('Read Extended Controller Index List: index, type and bus per entry', () => {
  assert.deepEqual(
    decodeReply('ReadExtendedControllerIndexList', hex('0200 0000 00 01 0100 00 01')),
    {
      controllers: [
        { controllerIndex: 0, controllerType: 0, controllerBus: 1 },
        { controllerIndex: 1, controllerType: 0, controllerBus: 1 },
      ],
    },
  );
});

test('Read Controller Information: fixed 280-byte reply', () => {
  const name = Buffer.alloc(249);
  name.write('BlueZ 5.66');
  const short = Buffer.alloc(11);
  const reply = Buffer.concat([
    hex('000000 01 aa 00'), // 00:AA:01:00:00:00
    hex('09'),
    hex('f105'),
    hex('ff7f0000'),
    hex('01020000'),
    hex('000000'),
    name,
    short,
  ]);
  assert.equal(reply.length, 6 + 1 + 2 + 4 + 4 + 3 + 249 + 11);
  const info = decodeReply('ReadControllerInformation', reply);
  assert.equal(info.address, '00:AA:01:00:00:00');
  assert.equal(info.bluetoothVersion, 9);
  assert.equal(info.manufacturer, 0x05f1);
  assert.deepEqual(info.currentSettings, ['powered', 'le']);
  assert.equal(info.supportedSettings.length, 15);
  assert.equal(info.classOfDevice, 0);
  assert.equal(info.name, 'BlueZ 5.66');
  assert.equal(info.shortName, '');
  assert.throws(
    () => decodeReply('ReadControllerInformation', reply.subarray(0, 279)),
    DecodeError,
  );
});

test('Command Complete and Command Status event frames', () => {
  assert.deepEqual(decodeEvent(hex('0100 0000 0700 0500 00 c10a0000')), {
    name: 'CommandComplete',
    code: 1,
    index: 0,
    params: { commandOpcode: 5, status: 0, returnParameters: hex('c10a0000') },
  });
  assert.deepEqual(decodeEvent(hex('0200 0100 0300 0500 0d')), {
    name: 'CommandStatus',
    code: 2,
    index: 1,
    params: { commandOpcode: 5, status: 0x0d },
  });
});

test('Device Found: address, type, signed RSSI, flags, EIR decoded as AD', () => {
  const frame = hex('1200 0000 1300 010001 01aa00 01 c4 04000000 0500 020106 0100');
  // EIR length 5: Flags AD (02 01 06) then a zero-length terminator pair
  const ev = decodeEvent(frame);
  assert.equal(ev.name, 'DeviceFound');
  if (ev.name !== 'DeviceFound') return;
  assert.equal(ev.params.address, '00:AA:01:01:00:01');
  assert.equal(ev.params.addressType, 'le-public');
  assert.equal(ev.params.rssi, -60);
  assert.deepEqual(ev.params.flags, ['not-connectable']);
  assert.deepEqual(ev.params.eirData.raw, hex('020106 0100'));
  assert.equal(ev.params.eirData.ad?.flags, 6);
  assert.deepEqual(encodeEvent('DeviceFound', 0, ev.params), frame);
});

test('Device Found with malformed EIR still decodes, with adError', () => {
  const ev = decodeEvent(hex('1200 0000 1100 010001 01aa00 02 7f 00000000 0300 0501ff'));
  assert.equal(ev.name, 'DeviceFound');
  if (ev.name !== 'DeviceFound') return;
  assert.equal(ev.params.addressType, 'le-random');
  assert.equal(ev.params.eirData.ad, undefined);
  assert.match(ev.params.eirData.adError ?? '', /past the end/);
});

test('Start Discovery: Address_Type is a bitmask of BR/EDR, LE public, LE random', () => {
  assert.deepEqual(
    encodeCommand('StartDiscovery', 0, { addressType: ['le-public', 'le-random'] }),
    hex('2300 0000 0100 06'),
  );
  assert.deepEqual(decodeReply('StartDiscovery', hex('07')), {
    addressType: ['bredr', 'le-public', 'le-random'],
  });
});

test('Add Advertising: both lengths before both data blocks', () => {
  const frame = encodeCommand('AddAdvertising', 1, {
    instance: 1,
    flags: ['connectable', 'discoverable'],
    duration: 0,
    timeout: 0,
    advData: hex('020106'),
    scanRsp: { localName: 'ab' },
  });
  assert.deepEqual(frame, hex('3e00 0100 1200 01 03000000 0000 0000 03 04 020106 03096162'));
});

test('Load Long Term Keys: Key_Count then 36-byte keys', () => {
  const key = {
    address: '00:AA:01:01:00:01',
    addressType: 'le-public' as const,
    keyType: 1,
    central: 1,
    encryptionSize: 16,
    encryptionDiversifier: 0x1234,
    randomNumber: hex('0102030405060708'),
    value: Buffer.alloc(16, 0xab),
  };
  const frame = encodeCommand('LoadLongTermKeys', 0, { keys: [key] });
  assert.deepEqual(
    frame,
    Buffer.concat([
      hex('1300 0000 2600 0100 010001 01aa00 01 01 01 10 3412 0102030405060708'),
      Buffer.alloc(16, 0xab),
    ]),
  );
});

test('Read Default System Configuration: TLV list to the end of the reply', () => {
  assert.deepEqual(decodeReply('ReadDefaultSystemConfiguration', hex('0000 02 0008 1d00 01 05')), {
    parameters: [
      { parameterType: 0, value: hex('0008') },
      { parameterType: 0x1d, value: hex('05') },
    ],
  });
  assert.throws(
    () => decodeReply('ReadDefaultSystemConfiguration', hex('0000 05 0008')),
    DecodeError,
  );
});

test('Read Local Out Of Band Data: the 256-bit values are optional', () => {
  const short = decodeReply('ReadLocalOutOfBandData', Buffer.alloc(32, 1));
  assert.equal(short.hash256, undefined);
  const full = decodeReply('ReadLocalOutOfBandData', Buffer.alloc(64, 2));
  assert.deepEqual(full.randomizer256, Buffer.alloc(16, 2));
  assert.throws(() => decodeReply('ReadLocalOutOfBandData', Buffer.alloc(40)), DecodeError);
});

test('Add UUID: 128-bit UUID little-endian, then SVC_Hint', () => {
  assert.deepEqual(
    encodeCommand('AddUuid', 0, { uuid: '180d', svcHint: 0 }),
    hex('1000 0000 1100 fb349b5f80000080 0010 0000 0d180000 00'),
  );
});

test('unknown event codes come through raw', () => {
  assert.deepEqual(decodeEvent(hex('ff00 0300 0200 abcd')), {
    name: 'Unknown',
    code: 0xff,
    index: 3,
    data: hex('abcd'),
  });
});

test('malformed frames are DecodeErrors', () => {
  assert.throws(() => decodeEvent(hex('0600 00')), DecodeError);
  assert.throws(() => decodeEvent(hex('0600 0000 0400 0100')), DecodeError); // says 4, has 2
  assert.throws(() => decodeEvent(hex('0600 0000 0200 0100')), DecodeError); // settings need 4
  assert.throws(() => decodeEvent(hex('0c00 0000 0800 000000000000 07 00')), DecodeError); // type 7
});

test('bad parameters are InvalidArgumentErrors naming the field, before any bytes exist', () => {
  assert.throws(() => encodeCommand('SetPowered', 0, {} as never), /SetPowered\.powered: missing/);
  assert.throws(
    () => encodeCommand('Disconnect', 0, { address: 'nope', addressType: 'le-public' }),
    InvalidArgumentError,
  );
  assert.throws(
    () =>
      encodeCommand('Disconnect', 0, { address: '00:11:22:33:44:55', addressType: 'le' as never }),
    /addressType/,
  );
  assert.throws(
    () => encodeCommand('SetPowered', 0, { powered: true, extra: 1 } as never),
    /unknown parameter "extra"/,
  );
  assert.throws(() => encodeCommand('SetPowered', 70000, { powered: true }), /controller index/);
  assert.throws(() => encodeCommand('Nope' as never, 0, {} as never), /Unknown mgmt command/);
  assert.throws(
    () => encodeCommand('SetLocalName', 0, { name: 'x'.repeat(249), shortName: '' }),
    /at most 248/,
  );
  assert.throws(
    () => encodeCommand('StartDiscovery', 0, { addressType: ['le-pubic' as never] }),
    /unknown flag/,
  );
});
