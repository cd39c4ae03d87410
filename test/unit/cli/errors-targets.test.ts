import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  AbortError,
  AttError,
  BackendError,
  BusyError,
  DecodeError,
  InvalidArgumentError,
  NotConnectedError,
  NotFoundError,
  NotSupportedError,
  PermissionError,
  TimeoutError,
} from '../../../src/core/index.js';
import { ExitCode, EXIT_CODE_HELP, exitCodeFor } from '../../../src/cli/exit-codes.js';
import { loadBackend } from '../../../src/cli/backends.js';
import { Output } from '../../../src/cli/output.js';
import { parseTarget } from '../../../src/cli/target.js';

test("blekit's typed errors map to distinct, documented exit codes", () => {
  const cases: [Error, number][] = [
    [new InvalidArgumentError('x'), ExitCode.BadInput],
    [new NotFoundError('x'), ExitCode.NotFound],
    [new TimeoutError('x'), ExitCode.Timeout],
    [new PermissionError('x'), ExitCode.PermissionDenied],
    [new BackendError('x'), ExitCode.BackendFailure],
    [new NotConnectedError('x'), ExitCode.BackendFailure],
    [new BusyError('x'), ExitCode.BackendFailure],
    [new DecodeError('x'), ExitCode.BackendFailure],
    [new AttError(0x02), ExitCode.AttError],
    [new NotSupportedError('x'), ExitCode.NotSupported],
    [new AbortError(), ExitCode.Interrupted],
    [Object.assign(new Error('x'), { code: 'EACCES' }), ExitCode.PermissionDenied],
    [Object.assign(new Error('x'), { code: 'ENOENT' }), ExitCode.NotFound],
    [new Error('plain'), ExitCode.Internal],
  ];
  for (const [err, code] of cases) assert.equal(exitCodeFor(err), code, err.name);
  for (const code of Object.values(ExitCode)) {
    assert.match(EXIT_CODE_HELP, new RegExp(`^ *${code} `, 'm'), `code ${code} documented`);
  }
  assert.equal(new Set(Object.values(ExitCode)).size, Object.values(ExitCode).length);
});

test('errors print one line on stderr, and the pybtle envelope with --json', () => {
  let out = '';
  let err = '';
  const o = new Output({
    json: true,
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
  });
  const code = o.fail(new NotFoundError('No characteristic\nffff'));
  assert.equal(code, 3);
  assert.equal(err, 'blekit: No characteristic ffff\n');
  assert.deepEqual(JSON.parse(out), {
    result: 'error',
    reason: 'No characteristic ffff',
    exitCode: 3,
    code: 'ERR_BLE_NOT_FOUND',
  });
  out = '';
  o.ok({ v: Buffer.from([1, 2]) }, () => 'x');
  assert.deepEqual(JSON.parse(out), { result: 'ok', value: { v: '0102' } });
});

test('characteristic targets: UUIDs, service/char pairs, 0x handles; bad ones rejected', () => {
  assert.equal(parseTarget('2A19'), '00002a19-0000-1000-8000-00805f9b34fb');
  assert.deepEqual(parseTarget('0x002a'), { handle: 42 });
  assert.deepEqual(parseTarget('0x2a19'), { handle: 0x2a19 });
  assert.deepEqual(parseTarget('180d/2a37'), {
    service: '0000180d-0000-1000-8000-00805f9b34fb',
    characteristic: '00002a37-0000-1000-8000-00805f9b34fb',
  });
  assert.equal(
    parseTarget('6E400002-B5A3-F393-E0A9-E50E24DCCA9E'),
    '6e400002-b5a3-f393-e0a9-e50e24dcca9e',
  );
  for (const bad of ['zz', '0x', '0x10000', '0x0000', '2a1', '180d/', '/2a37', 'g00d']) {
    assert.throws(() => parseTarget(bad), InvalidArgumentError, bad);
  }
});

test('every backend name gives a factory; unknown names are bad input', async () => {
  for (const name of ['dbus', 'gatttool', 'bgapi']) {
    assert.equal(typeof (await loadBackend(name)), 'function', name);
  }
  await assert.rejects(loadBackend('bluetooth-serial'), InvalidArgumentError);
});
