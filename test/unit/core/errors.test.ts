import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AbortError,
  AttError,
  BackendError,
  BleError,
  BusyError,
  DecodeError,
  InvalidArgumentError,
  NotConnectedError,
  NotFoundError,
  NotSupportedError,
  PermissionError,
  TimeoutError,
} from '../../../src/core/errors.js';
import { AttErrorCode, attErrorName, isApplicationAttError } from '../../../src/protocol/att.js';

test('each error class has its name, code and is a BleError', () => {
  const cases: [BleError, string, string][] = [
    [new InvalidArgumentError('x'), 'InvalidArgumentError', 'ERR_BLE_INVALID_ARGUMENT'],
    [new TimeoutError('x'), 'TimeoutError', 'ERR_BLE_TIMEOUT'],
    [new AbortError(), 'AbortError', 'ABORT_ERR'],
    [new NotConnectedError('x'), 'NotConnectedError', 'ERR_BLE_NOT_CONNECTED'],
    [new NotFoundError('x'), 'NotFoundError', 'ERR_BLE_NOT_FOUND'],
    [new NotSupportedError('x'), 'NotSupportedError', 'ERR_BLE_NOT_SUPPORTED'],
    [new PermissionError('x'), 'PermissionError', 'ERR_BLE_PERMISSION'],
    [new BusyError('x'), 'BusyError', 'ERR_BLE_BUSY'],
    [new BackendError('x'), 'BackendError', 'ERR_BLE_BACKEND'],
    [new DecodeError('x'), 'DecodeError', 'ERR_BLE_DECODE'],
    [new AttError(0x0f), 'AttError', 'ERR_BLE_ATT'],
  ];
  for (const [err, name, code] of cases) {
    assert.ok(err instanceof BleError, name);
    assert.ok(err instanceof Error, name);
    assert.equal(err.name, name);
    assert.equal(err.code, code);
    assert.match(String(err.stack), new RegExp(name));
  }
});

test('cause is kept when given and absent otherwise', () => {
  const root = new Error('root');
  assert.equal(new TimeoutError('t', { cause: root }).cause, root);
  assert.equal('cause' in new TimeoutError('t'), false);
});

test('BackendError and DecodeError carry backend and offset', () => {
  assert.equal(new BackendError('x', { backend: 'bluez' }).backend, 'bluez');
  assert.equal(new BackendError('x').backend, undefined);
  assert.equal(new DecodeError('x', { offset: 7 }).offset, 7);
  assert.equal(new DecodeError('x', { offset: 0 }).offset, 0);
});

test('AttError message, attCode and attName', () => {
  const e = new AttError(0x0f);
  assert.equal(e.message, 'ATT error 0x0f (InsufficientEncryption)');
  assert.equal(e.attCode, 0x0f);
  assert.equal(e.attName, 'InsufficientEncryption');
  assert.equal(
    new AttError(0x80, 'read Foo').message,
    'ATT error 0x80 (ApplicationError): read Foo',
  );
  assert.equal(new AttError(0x01).message, 'ATT error 0x01 (InvalidHandle)');
});

test('ATT code table', () => {
  assert.equal(AttErrorCode.InvalidOffset, 0x07);
  assert.equal(AttErrorCode.ValueNotAllowed, 0x13);
  assert.equal(attErrorName(0x01), 'InvalidHandle');
  assert.equal(attErrorName(0x0a), 'AttributeNotFound');
  assert.equal(attErrorName(0x13), 'ValueNotAllowed');
  assert.equal(attErrorName(0xfc), 'WriteRequestRejected');
  assert.equal(attErrorName(0xfd), 'CccdImproperlyConfigured');
  assert.equal(attErrorName(0xfe), 'ProcedureAlreadyInProgress');
  assert.equal(attErrorName(0xff), 'OutOfRange');
  assert.equal(attErrorName(0x80), 'ApplicationError');
  assert.equal(attErrorName(0x9f), 'ApplicationError');
  assert.equal(attErrorName(0x14), 'Reserved');
  assert.equal(attErrorName(0x00), 'Reserved');
  assert.equal(attErrorName(0xa0), 'Reserved');
  assert.equal(attErrorName(0x100), 'Unknown');
  assert.equal(attErrorName(-1), 'Unknown');
  assert.equal(isApplicationAttError(0x7f), false);
  assert.equal(isApplicationAttError(0x80), true);
  assert.equal(isApplicationAttError(0xa0), false);
});

test('every code 0x01..0x13 has a distinct spec name', () => {
  const names = new Set<string>();
  for (let c = 0x01; c <= 0x13; c++) names.add(attErrorName(c));
  assert.equal(names.size, 0x13);
  assert.equal(names.has('Reserved'), false);
});
