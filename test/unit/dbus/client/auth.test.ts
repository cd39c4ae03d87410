import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BackendError, NotSupportedError } from '../../../../src/core/errors.js';
import {
  SaslClient,
  authStart,
  parseServerLine,
  takeLines,
} from '../../../../src/dbus/client/auth.js';
import { systemBusPath, unixPathFromAddress } from '../../../../src/dbus/client/address.js';

const GUID = '0123456789abcdef0123456789ABCDEF';

test('the handshake starts with a NUL and EXTERNAL with the uid as hex of its digits', () => {
  assert.equal(authStart(1000).toString('latin1'), '\0AUTH EXTERNAL 31303030\r\n');
  assert.equal(authStart(0).toString('latin1'), '\0AUTH EXTERNAL 30\r\n');
  assert.throws(() => authStart(-1), BackendError);
});

test('OK then AGREE_UNIX_FD ends in BEGIN with fd passing', () => {
  const sasl = new SaslClient();
  assert.deepEqual(sasl.step(`OK ${GUID}`), { send: 'NEGOTIATE_UNIX_FD\r\n' });
  assert.deepEqual(sasl.step('AGREE_UNIX_FD'), {
    send: 'BEGIN\r\n',
    done: { guid: GUID.toLowerCase(), unixFds: true },
  });
  assert.throws(() => sasl.step('OK'), BackendError, 'nothing after the end');
});

test('a refused NEGOTIATE_UNIX_FD carries on without fds', () => {
  const sasl = new SaslClient();
  sasl.step(`OK ${GUID}`);
  assert.deepEqual(sasl.step('ERROR "not supported"'), {
    send: 'BEGIN\r\n',
    done: { guid: GUID.toLowerCase(), unixFds: false },
  });
});

test('without fd negotiation OK leads straight to BEGIN', () => {
  assert.deepEqual(new SaslClient(false).step(`OK ${GUID}`).done, {
    guid: GUID.toLowerCase(),
    unixFds: false,
  });
});

test('bad server replies are BackendErrors', () => {
  for (const line of ['REJECTED EXTERNAL', 'ERROR', 'DATA 00', 'OK nothex', 'OK', 'hello']) {
    assert.throws(() => new SaslClient().step(line), BackendError, line);
  }
  const sasl = new SaslClient();
  sasl.step(`OK ${GUID}`);
  assert.throws(() => sasl.step('OK again'), BackendError);
});

test('server lines split into command and arguments', () => {
  assert.deepEqual(parseServerLine('OK abc'), { command: 'OK', args: 'abc' });
  assert.deepEqual(parseServerLine('AGREE_UNIX_FD'), { command: 'AGREE_UNIX_FD', args: '' });
  assert.deepEqual(parseServerLine('REJECTED EXTERNAL DBUS_COOKIE_SHA1 '), {
    command: 'REJECTED',
    args: 'EXTERNAL DBUS_COOKIE_SHA1',
  });
});

test('handshake bytes split into CRLF lines; the rest waits', () => {
  const { lines, rest } = takeLines(Buffer.from('OK 1\r\nAGREE_UNIX_FD\r\nBEG'));
  assert.deepEqual(lines, ['OK 1', 'AGREE_UNIX_FD']);
  assert.equal(rest.toString(), 'BEG');
  assert.throws(() => takeLines(Buffer.alloc(20000, 0x41)), BackendError, 'endless line');
  assert.throws(() => takeLines(Buffer.from('OK \x01\r\n')), BackendError, 'control byte');
  assert.throws(() => takeLines(Buffer.from([0x4f, 0xff, 0x0d, 0x0a])), BackendError, 'non-ASCII');
});

test('bus addresses: the unix:path= entry, escapes decoded; others are not spoken', () => {
  assert.equal(
    unixPathFromAddress('unix:path=/run/dbus/system_bus_socket'),
    '/run/dbus/system_bus_socket',
  );
  assert.equal(unixPathFromAddress('unix:abstract=/x;unix:guid=1,path=/tmp/a%20b'), '/tmp/a b');
  assert.throws(() => unixPathFromAddress('unix:abstract=/tmp/x'), NotSupportedError);
  assert.throws(() => unixPathFromAddress('tcp:host=localhost,port=1'), NotSupportedError);
  assert.throws(() => unixPathFromAddress('unix:path=%zz'), NotSupportedError);
  assert.equal(systemBusPath({}), '/var/run/dbus/system_bus_socket');
  assert.equal(systemBusPath({ DBUS_SYSTEM_BUS_ADDRESS: 'unix:path=/x' }), '/x');
});
