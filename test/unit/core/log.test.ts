import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { log, setLogger, type LogRecord } from '../../../src/core/log.js';

const here = new URL('../../../src/core/log.js', import.meta.url).href;

function runChild(env: Record<string, string>, code: string): { stderr: string; status: number } {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
    env: { ...process.env, NODE_DEBUG: '', ...env },
    encoding: 'utf8',
  });
  return { stderr: r.stderr, status: r.status ?? -1 };
}

test('a logger set by the application receives debug records and each warning once', () => {
  const got: LogRecord[] = [];
  setLogger((r) => got.push(r));
  try {
    const l = log('central');
    assert.equal(l.enabled, true);
    l.debug('hello');
    l.warn('BLEKIT_TEST_ONCE', 'first');
    l.warn('BLEKIT_TEST_ONCE', 'second');
    assert.deepEqual(got, [
      { level: 'debug', area: 'central', message: 'hello' },
      { level: 'warn', area: 'central', message: 'first', code: 'BLEKIT_TEST_ONCE' },
    ]);
  } finally {
    setLogger(undefined);
  }
});

test('NODE_DEBUG=blekit:* prints debug records on stderr, and nothing without it', () => {
  const code = `import { log } from '${here}'; log('dbus').debug('traced ' + log('dbus').enabled);`;
  const on = runChild({ NODE_DEBUG: 'blekit:*' }, code);
  assert.equal(on.status, 0);
  assert.match(on.stderr, /BLEKIT:DBUS \d+: traced true/);
  const off = runChild({}, code);
  assert.equal(off.status, 0);
  assert.equal(off.stderr, '');
  const other = runChild({ NODE_DEBUG: 'blekit:central' }, code);
  assert.equal(other.stderr, '');
});

test('without a logger a warning is a process warning with its code, once', () => {
  const code =
    `import { log } from '${here}';` +
    `log('native').warn('BLEKIT_X', 'addon missing'); log('native').warn('BLEKIT_X', 'again');`;
  const r = runChild({}, code);
  assert.equal(r.status, 0);
  assert.equal(r.stderr.match(/BlekitWarning/g)?.length, 1, r.stderr);
  assert.match(r.stderr, /\[BLEKIT_X\] BlekitWarning: addon missing/);
});
