import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DecodeError, InvalidArgumentError } from '../../../../src/core/index.js';
import {
  COMMANDS,
  EVENTS,
  decodeFrame,
  decodeHeader,
  describeResult,
  encodeCommand,
  encodeEvent,
  encodeHeader,
  encodeResponse,
  type AnsweredCommandName,
  type CommandName,
  type EventName,
} from '../../../../src/backends/bgapi/codec/index.js';
import { COMMAND_VECTORS, EVENT_VECTORS, RESPONSE_VECTORS, hexBytes } from './vectors.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- vectors are untyped tables */

describe('BGAPI vectors cover the whole table', () => {
  test('every command, response and event has a vector', () => {
    const names = (v: [string, unknown, string][]) => v.map((x) => x[0]).sort();
    assert.deepEqual(names(COMMAND_VECTORS), Object.keys(COMMANDS).sort());
    assert.deepEqual(
      names(RESPONSE_VECTORS),
      Object.entries(COMMANDS)
        .filter(([, d]) => d.returns !== null)
        .map(([n]) => n)
        .sort(),
    );
    assert.deepEqual(names(EVENT_VECTORS), Object.keys(EVENTS).sort());
  });
});

describe('BGAPI commands (host to dongle)', () => {
  for (const [name, params, hex] of COMMAND_VECTORS) {
    test(name, () => {
      const bytes = hexBytes(hex);
      assert.deepEqual(encodeCommand(name as CommandName, params as any), bytes);
      assert.deepEqual(decodeFrame(bytes, 'toDevice'), { kind: 'command', name, params });
    });
  }
});

describe('BGAPI responses (dongle to host)', () => {
  for (const [name, params, hex] of RESPONSE_VECTORS) {
    test(name, () => {
      const bytes = hexBytes(hex);
      assert.deepEqual(encodeResponse(name as AnsweredCommandName, params as any), bytes);
      assert.deepEqual(decodeFrame(bytes, 'fromDevice'), { kind: 'response', name, params });
    });
  }
});

describe('BGAPI events (dongle to host)', () => {
  for (const [name, params, hex] of EVENT_VECTORS) {
    test(name, () => {
      const bytes = hexBytes(hex);
      assert.deepEqual(encodeEvent(name as EventName, params as any), bytes);
      assert.deepEqual(decodeFrame(bytes, 'fromDevice'), { kind: 'event', name, params });
    });
  }
});

describe('BGAPI header', () => {
  test('11-bit length, message type and technology bits', () => {
    const h = encodeHeader({ event: true, technology: 1, length: 0x7ff, cls: 4, id: 5 });
    assert.deepEqual(h, hexBytes('8f ff 04 05'));
    assert.deepEqual(decodeHeader(h), { event: true, technology: 1, length: 0x7ff, cls: 4, id: 5 });
    assert.throws(
      () => encodeHeader({ event: false, technology: 0, length: 0x800, cls: 0, id: 0 }),
      InvalidArgumentError,
    );
    assert.throws(() => decodeHeader(hexBytes('80 00 00')), DecodeError);
  });
});

describe('BGAPI malformed frames', () => {
  test('truncated frame', () => {
    assert.throws(() => decodeFrame(hexBytes('00 03 04 05 00 00'), 'fromDevice'), DecodeError);
  });
  test('oversized frame (more bytes than the header says)', () => {
    assert.throws(() => decodeFrame(hexBytes('00 00 00 01 00'), 'fromDevice'), DecodeError);
  });
  test('payload too short for its message', () => {
    const err = (() => {
      try {
        decodeFrame(hexBytes('00 02 04 05 00 00'), 'fromDevice');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    assert.ok(err instanceof DecodeError);
    assert.equal(err.offset, 5);
  });
  test('payload longer than its message', () => {
    assert.throws(
      () => decodeFrame(hexBytes('00 04 04 05 00 00 00 00'), 'fromDevice'),
      DecodeError,
    );
  });
  test('byte array length that disagrees with the bytes left', () => {
    // attclient_attribute_value says 3 value bytes but only 2 follow, and vice versa.
    assert.throws(
      () => decodeFrame(hexBytes('80 07 04 05 00 03 00 00 03 41 42'), 'fromDevice'),
      DecodeError,
    );
    assert.throws(
      () => decodeFrame(hexBytes('80 08 04 05 00 03 00 00 02 41 42 43'), 'fromDevice'),
      DecodeError,
    );
  });
  test('unknown class/command or technology is a raw frame', () => {
    const raw = decodeFrame(hexBytes('80 02 07 00 01 02'), 'fromDevice');
    assert.equal(raw.kind, 'raw');
    if (raw.kind === 'raw') {
      assert.deepEqual(raw.header, { event: true, technology: 0, length: 2, cls: 7, id: 0 });
      assert.deepEqual(raw.payload, hexBytes('01 02'));
    }
    assert.equal(decodeFrame(hexBytes('08 00 00 01'), 'fromDevice').kind, 'raw');
    // system_reset has no response, so that header from the dongle is not a known message.
    assert.equal(decodeFrame(hexBytes('00 00 00 00'), 'fromDevice').kind, 'raw');
    // An event header coming from the host is not a command.
    assert.equal(decodeFrame(hexBytes('80 00 00 05'), 'toDevice').kind, 'raw');
  });
});

describe('BGAPI encoders reject bad input before any I/O', () => {
  test('out-of-range integers, long arrays, bad addresses', () => {
    assert.throws(
      () => encodeCommand('connection_get_rssi', { connection: 256 }),
      InvalidArgumentError,
    );
    assert.throws(
      () => encodeCommand('sm_passkey_entry', { handle: 0, passkey: -1 }),
      InvalidArgumentError,
    );
    assert.throws(
      () =>
        encodeCommand('attclient_write_command', {
          connection: 0,
          atthandle: 1,
          data: Buffer.alloc(256),
        }),
      InvalidArgumentError,
    );
    assert.throws(
      () => encodeCommand('system_whitelist_append', { address: 'nope', addressType: 0 }),
      InvalidArgumentError,
    );
    assert.throws(
      () => encodeEvent('gap_scan_response', { rssi: -129 } as any),
      InvalidArgumentError,
    );
  });
});

describe('BGAPI result codes', () => {
  test('names and layers', () => {
    assert.equal(describeResult(0x0181), 'wrongState (0x0181)');
    assert.equal(describeResult(0x0213), 'remoteUserTerminated (0x0213)');
    assert.equal(describeResult(0x0405), 'ATT error 0x05 (0x0405)');
    assert.equal(describeResult(0x0999), 'unknown error 0x0999');
  });
});
