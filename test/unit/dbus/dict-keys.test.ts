import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import dbus from 'dbus-next';
import { cachedParser, installDictKeyFix } from '../../../src/dbus/dict-keys.js';

const require = createRequire(import.meta.url);
const compat = require('dbus-next/lib/marshall-compat.js') as {
  marshallMessage: (m: unknown) => [Buffer, number[]];
};
const marshallMessage = (m: unknown): Buffer => compat.marshallMessage(m)[0];
const { unmarshall } = require('dbus-next/lib/message.js') as {
  unmarshall: (b: Buffer) => { body: unknown[] };
};

function reply(signature: string, body: unknown[]) {
  const m = new dbus.Message({
    type: dbus.MessageType.SIGNAL,
    path: '/org/blekit/test',
    interface: 'org.blekit.Test',
    member: 'Value',
    signature,
    body,
  });
  // The connection sets the serial when it sends; marshalling alone needs one.
  return Object.assign(m, { serial: 5 });
}

const manufacturerData = () => ({ 0xffff: new dbus.Variant('ay', Buffer.from([1, 2])) });

test('without the fix, dbus-next cannot marshal an integer-keyed dict', () => {
  // The fix is process-wide; this runs first in this file, before installing it.
  assert.throws(() => marshallMessage(reply('a{qv}', [manufacturerData()])));
});

test('with the fix, a{qv} (also inside a variant, as in GetAll) goes out with numeric keys', () => {
  installDictKeyFix();
  const direct = unmarshall(marshallMessage(reply('a{qv}', [manufacturerData()])));
  const entries = direct.body[0] as [number, unknown][];
  assert.equal(entries[0]![0], 0xffff);
  const getAll = reply('a{sv}', [
    {
      ManufacturerData: new dbus.Variant('a{qv}', manufacturerData()),
      Appearance: new dbus.Variant('q', 0x0340),
    },
  ]);
  assert.doesNotThrow(() => marshallMessage(getAll));
  // String-keyed dicts are untouched.
  const s = unmarshall(marshallMessage(reply('a{sv}', [{ Name: new dbus.Variant('s', 'x') }])));
  assert.equal((s.body[0] as [string, unknown][])[0]![0], 'Name');
});

test('cachedParser parses a signature once and stays correct past its bound', () => {
  let calls = 0;
  const parse = cachedParser((s) => {
    calls++;
    return [{ type: s, child: [] }];
  });
  const first = parse('aya{sv}');
  assert.equal(parse('aya{sv}'), first);
  assert.equal(calls, 1);
  for (let i = 0; i < 300; i++) assert.equal(parse(`s${i}`)[0]?.type, `s${i}`);
  assert.equal(parse('aya{sv}')[0]?.type, 'aya{sv}');
});
