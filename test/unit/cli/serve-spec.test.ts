import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseServeSpec, SpecError } from '../../../src/cli/serve-spec.js';

const fixture = fileURLToPath(new URL('../../../../examples/heart-rate.yaml', import.meta.url));

function specError(text: string, file = 'spec.yaml'): SpecError {
  try {
    parseServeSpec(text, file);
  } catch (e) {
    assert.ok(e instanceof SpecError, String(e));
    return e;
  }
  assert.fail('expected a SpecError');
}

test('the lab fixture parses into services, an advertisement and update plans', () => {
  const spec = parseServeSpec(readFileSync(fixture, 'utf8'), fixture);
  assert.equal(spec.services.length, 4);
  assert.equal(spec.advertisement.localName, 'blekit-hr');
  assert.deepEqual(spec.advertisement.serviceUuids?.length, 4);
  const hr = spec.services[0]?.characteristics?.[0];
  assert.deepEqual(hr?.flags, ['notify']);
  assert.deepEqual(hr?.value, Buffer.from('003c', 'hex'));
  assert.equal(spec.updates.length, 2);
  const counter = spec.updates[0];
  assert.equal(counter?.everyMs, 500);
  assert.deepEqual(counter?.valueAt(0), Buffer.from([0, 60]));
  assert.deepEqual(counter?.valueAt(1), Buffer.from([0, 61]));
  assert.deepEqual(counter?.valueAt(121), Buffer.from([0, 60]), 'wraps from max to min');
  const cycle = spec.updates[1];
  assert.deepEqual(cycle?.valueAt(3), Buffer.from('006e0100ff', 'hex'));
  const scratch = spec.services[3]?.characteristics?.[0];
  assert.deepEqual(scratch?.value, Buffer.from('hello'));
  assert.deepEqual(scratch?.descriptors?.[0]?.value, Buffer.from('Scratch pad'));
  // Unquoted 2901 is YAML's decimal number; as a UUID it must still mean 0x2901.
  assert.equal(scratch?.descriptors?.[0]?.uuid, '00002901-0000-1000-8000-00805f9b34fb');
  assert.equal(spec.services[2]?.uuid, '00001809-0000-1000-8000-00805f9b34fb');
});

test('YAML errors carry file, line and column of the offending node', () => {
  const e = specError(
    [
      'services:',
      '  - uuid: 180d',
      '    characteristics:',
      '      - uuid: 2a37',
      '        flags: [notify, reed]',
    ].join('\n'),
  );
  assert.equal(e.line, 5);
  assert.equal(e.col, 25);
  assert.equal(
    e.message,
    'spec.yaml:5:25: services[0].characteristics[0].flags[1]: unknown flag "reed"',
  );
  assert.equal(e.code, 'ERR_BLE_INVALID_ARGUMENT');
});

test('JSON specs get positions too', () => {
  const text =
    '{\n  "services": [\n    { "uuid": "180d", "characteristics": [ { "uuid": "xyz" } ] }\n  ]\n}';
  const e = specError(text, 'spec.json');
  const col = (text.split('\n')[2] as string).indexOf('"xyz"') + 1;
  assert.equal(e.line, 3);
  assert.equal(e.col, col);
  assert.match(
    e.message,
    new RegExp(
      String.raw`^spec\.json:3:${col}: services\[0\]\.characteristics\[0\]\.uuid: not a UUID`,
    ),
  );
});

test('values: kinds, ranges, unknown keys, update rules, syntax errors', () => {
  const svc = (c: string): string =>
    `services:\n  - uuid: 180f\n    characteristics:\n      - ${c}\n`;
  assert.match(
    specError(svc('{ uuid: 2a19, value: { uint8: 300 } }')).message,
    /4:\d+: .*uint8 must be an integer 0\.\.255, got 300/,
  );
  assert.match(specError(svc('{ uuid: 2a19, value: { hex: "0g" } }')).message, /Invalid hex/);
  assert.match(
    specError(svc('{ uuid: 2a19, value: { float: 1 } }')).message,
    /unknown value kind "float"/,
  );
  assert.match(specError(svc('{ uuid: 2a19, value: 5 }')).message, /a value is a string/);
  const unknownKey = specError(svc('{ uuid: 2a19, colour: red }'));
  const keyCol = '      - { uuid: 2a19, colour: red }'.indexOf('colour') + 1;
  assert.equal(unknownKey.line, 4);
  assert.equal(unknownKey.col, keyCol);
  assert.match(unknownKey.message, /Unrecognized key: "colour"/);
  assert.match(
    specError(svc('{ uuid: 2a19, flags: [read], update: { every: 1, values: [{uint8: 1}] } }'))
      .message,
    /notify needs a notify or indicate flag/,
  );
  assert.match(
    specError(svc('{ uuid: 2a19, flags: [notify], update: { every: 1 } }')).message,
    /exactly one of values or counter/,
  );
  assert.match(
    specError(
      svc('{ uuid: 2a19, flags: [notify], update: { every: 1, counter: { start: 5, min: 10 } } }'),
    ).message,
    /min <= start <= max/,
  );
  assert.match(specError('services: [').message, /^spec\.yaml:1:\d+: /);
  assert.match(specError('name: x\n').message, /services: Invalid input/);
  assert.match(
    specError('services:\n  - uuid: 1800\n').message,
    /^spec\.yaml:2:5: services\[0\]: .*GAP and GATT/,
  );
  assert.match(specError('services: []\n').message, /services: Too small/);
});

test('a list value concatenates its parts; a string is UTF-8', () => {
  const spec = parseServeSpec(
    'services:\n  - uuid: 180d\n    characteristics:\n      - uuid: 2a37\n        flags: [read]\n        value: [{ uint8: 6 }, { uint16: 300 }, "x", { int8: -1 }]\n',
    's.yaml',
  );
  assert.deepEqual(
    spec.services[0]?.characteristics?.[0]?.value,
    Buffer.from([6, 0x2c, 0x01, 0x78, 0xff]),
  );
});
