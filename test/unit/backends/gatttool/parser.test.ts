// The gatttool output parser on transcripts recorded from BlueZ 5.66's gatttool over pipes
// (colour codes, line clears, redraws and notifications interleaved with answers).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  GatttoolParser,
  classifyLine,
  parseHexBytes,
  stripAnsi,
  type GatttoolEvent,
} from '../../../../src/backends/gatttool/parser.js';
import { DecodeError } from '../../../../src/core/index.js';

const ADDR = '00:AA:01:01:00:01';
const IDLE = '[                 ][LE]> ';
const CONN = `\x1b[0;94m[${ADDR}]\x1b[0m[LE]> `;
const RED = (s: string) => `\x1b[0;91m${s}\x1b[0m`;

/** Recorded on the host (no Bluetooth): a session up to a failed connect, then 'exit'. */
const HOST_TRANSCRIPT =
  IDLE +
  '\r\x1b[K\r' +
  IDLE +
  'char-read-hnd 0x0003\n' +
  RED('Command Failed: ') +
  'Disconnected\n' +
  IDLE +
  `connect ${ADDR}\n` +
  `Attempting to connect to ${ADDR}\n` +
  RED('Error: ') +
  'socket(SEQPACKET, L2CAP): Address family not supported by protocol (97)\n' +
  `[${ADDR}][LE]> foo bar\n` +
  RED('Error: ') +
  'foo: command not found\n' +
  `[${ADDR}][LE]> `;

/** A connected session: a read with notifications and an indication printed while it waited. */
const LAB_TRANSCRIPT =
  CONN +
  'char-read-hnd 0x002a\n' +
  CONN +
  '\r\x1b[KNotification handle = 0x0025 value: 00 00 00 00 \n' +
  CONN +
  '\r\x1b[KNotification handle = 0x0025 value: 01 00 00 00 \n' +
  CONN +
  '\r\x1b[KIndication   handle = 0x0029 value: ff \n' +
  CONN +
  '\r\x1b[KCharacteristic value/descriptor: 62 6c 65 6b 69 74 \n' +
  CONN +
  'primary\n' +
  CONN +
  '\r\x1b[Kattr handle: 0x0001, end grp handle: 0x0005 uuid: 00001800-0000-1000-8000-00805f9b34fb\n' +
  'attr handle: 0x0006, end grp handle: 0x0009 uuid: 00001801-0000-1000-8000-00805f9b34fb\n' +
  CONN +
  'mtu 247\n' +
  CONN +
  '\r\x1b[KMTU was exchanged successfully: 247\n' +
  CONN +
  '\r\x1b[K\r' +
  `[${ADDR}][LE]> `;

const parseAll = (s: string): GatttoolEvent[] => new GatttoolParser().feed(s);

test('host transcript: prompts, echoes, errors in order', () => {
  assert.deepEqual(parseAll(HOST_TRANSCRIPT), [
    { kind: 'prompt', connected: false, address: undefined },
    { kind: 'prompt', connected: false, address: undefined },
    { kind: 'echo', command: 'char-read-hnd 0x0003' },
    { kind: 'error', failed: true, message: 'Disconnected' },
    { kind: 'prompt', connected: false, address: undefined },
    { kind: 'echo', command: `connect ${ADDR}` },
    { kind: 'connecting', address: ADDR },
    {
      kind: 'error',
      failed: false,
      message: 'socket(SEQPACKET, L2CAP): Address family not supported by protocol (97)',
    },
    { kind: 'prompt', connected: false, address: ADDR },
    { kind: 'echo', command: 'foo bar' },
    { kind: 'error', failed: false, message: 'foo: command not found' },
    { kind: 'prompt', connected: false, address: ADDR },
  ]);
});

test('connected transcript: colour shows the link; notifications interleave with answers', () => {
  const evs = parseAll(LAB_TRANSCRIPT).filter((e) => e.kind !== 'prompt');
  assert.deepEqual(evs, [
    { kind: 'echo', command: 'char-read-hnd 0x002a' },
    { kind: 'notification', indication: false, handle: 0x25, value: Buffer.from([0, 0, 0, 0]) },
    { kind: 'notification', indication: false, handle: 0x25, value: Buffer.from([1, 0, 0, 0]) },
    { kind: 'notification', indication: true, handle: 0x29, value: Buffer.from([0xff]) },
    { kind: 'value', value: Buffer.from('blekit') },
    { kind: 'echo', command: 'primary' },
    { kind: 'primary', start: 1, end: 5, uuid: '00001800-0000-1000-8000-00805f9b34fb' },
    { kind: 'primary', start: 6, end: 9, uuid: '00001801-0000-1000-8000-00805f9b34fb' },
    { kind: 'echo', command: 'mtu 247' },
    { kind: 'mtu', mtu: 247 },
  ]);
  const prompts = parseAll(LAB_TRANSCRIPT).filter((e) => e.kind === 'prompt');
  assert.ok(prompts.slice(0, -1).every((p) => p.kind === 'prompt' && p.connected));
  assert.deepEqual(prompts.at(-1), { kind: 'prompt', connected: false, address: ADDR });
});

test('any split of the stream gives the same events', () => {
  const whole = LAB_TRANSCRIPT + HOST_TRANSCRIPT;
  const expected = parseAll(whole);
  fc.assert(
    fc.property(fc.array(fc.nat(whole.length), { maxLength: 30 }), (cuts) => {
      const p = new GatttoolParser();
      const points = [...new Set(cuts)].sort((a, b) => a - b);
      const out: GatttoolEvent[] = [];
      let last = 0;
      for (const c of [...points, whole.length]) {
        out.push(...p.feed(whole.slice(last, c)));
        last = c;
      }
      assert.deepEqual(out, expected);
    }),
  );
});

test('the prompt gatttool waits at is reported once, before any line break', () => {
  const p = new GatttoolParser();
  assert.deepEqual(p.feed('[00:AA:01'), []);
  assert.deepEqual(p.feed(':01:00:01][LE]> '), [
    { kind: 'prompt', connected: false, address: ADDR },
  ]);
  assert.deepEqual(p.feed('sec-'), []);
  assert.deepEqual(p.feed('level\nsec-level: low\n'), [
    { kind: 'echo', command: 'sec-level' },
    { kind: 'secLevel', level: 'low' },
  ]);
});

test('every answer form gatttool prints is classified', () => {
  const cases: [string, GatttoolEvent][] = [
    [
      'handle: 0x0003 \t value: 42 6c 75 65 ',
      { kind: 'uuidValue', handle: 3, value: Buffer.from('Blue') },
    ],
    [
      'handle: 0x0002, char properties: 0x12, char value handle: 0x0003, uuid: 00002a00-0000-1000-8000-00805f9b34fb',
      {
        kind: 'characteristic',
        handle: 2,
        properties: 0x12,
        valueHandle: 3,
        uuid: '00002a00-0000-1000-8000-00805f9b34fb',
      },
    ],
    [
      'handle: 0x0009, uuid: 00002902-0000-1000-8000-00805f9b34fb',
      { kind: 'descriptor', handle: 9, uuid: '00002902-0000-1000-8000-00805f9b34fb' },
    ],
    [
      'handle: 0x0010, start handle: 0x0011, end handle: 0x0013 uuid: 0000180f-0000-1000-8000-00805f9b34fb',
      {
        kind: 'included',
        handle: 0x10,
        start: 0x11,
        end: 0x13,
        uuid: '0000180f-0000-1000-8000-00805f9b34fb',
      },
    ],
    ['Starting handle: 0x0001 Ending handle: 0x0005', { kind: 'primaryRange', start: 1, end: 5 }],
    ['Characteristic value was written successfully', { kind: 'written' }],
    ['Connection successful', { kind: 'connected' }],
    ['Characteristic value/descriptor: ', { kind: 'value', value: Buffer.alloc(0) }],
    ['Usage: mtu <value>', { kind: 'usage', text: 'Usage: mtu <value>' }],
    [
      'Allowed values: low | medium | high',
      { kind: 'usage', text: 'Allowed values: low | medium | high' },
    ],
    [
      '(gatttool:42): GLib-CRITICAL **: oops',
      { kind: 'text', text: '(gatttool:42): GLib-CRITICAL **: oops' },
    ],
    // Broken hex is not a value: kept as text rather than guessed at.
    [
      'Characteristic value/descriptor: 6 ',
      { kind: 'text', text: 'Characteristic value/descriptor: 6' },
    ],
  ];
  for (const [line, ev] of cases) assert.deepEqual(classifyLine(line), ev, line);
  assert.equal(classifyLine('   '), undefined);
});

test('hex values and ANSI stripping', () => {
  assert.deepEqual(parseHexBytes('01 02 ff '), Buffer.from([1, 2, 0xff]));
  assert.throws(() => parseHexBytes('0g'), DecodeError);
  assert.equal(stripAnsi('\x1b[0;91mError: \x1b[0mx\x1b[K\x01\x02'), 'Error: x');
});

test('a runaway line fails with DecodeError; its rest is dropped up to the line break', () => {
  const p = new GatttoolParser({ maxLineLength: 100 });
  assert.throws(() => p.feed('x'.repeat(101)), DecodeError);
  // 'Connection successful' here is the tail of the runaway line, not a line of its own.
  assert.deepEqual(p.feed('xx Connection successful\nConnection successful\n'), [
    { kind: 'connected' },
  ]);
  // A complete overlong line inside one chunk: the chunk ended on a line break, so the next
  // chunk starts a line.
  assert.throws(() => p.feed(`${'y'.repeat(200)}\nMTU was exchanged successfully: 9\n`), {
    name: 'DecodeError',
    message: /200 characters in one line \(limit 100\)/,
  });
  assert.deepEqual(p.feed('Connection successful\n'), [{ kind: 'connected' }]);
});

test('1 MiB without a line break in 64-char chunks ends in DecodeError at the limit', () => {
  const p = new GatttoolParser();
  const chunk = 'z'.repeat(64);
  let fed = 0;
  let error: unknown;
  while (fed <= 1024 * 1024 + 64 && error === undefined) {
    try {
      p.feed(chunk);
    } catch (e) {
      error = e;
    }
    fed += chunk.length;
  }
  assert.ok(error instanceof DecodeError, String(error));
  assert.equal(fed, 1024 * 1024 + 64, 'fails on the first chunk past 1 MiB');
  assert.match(error.message, /1048640 characters without a line break \(limit 1048576\)/);
  // The parser is usable once the runaway line ends.
  assert.deepEqual(p.feed('zz\nConnection successful\n'), [{ kind: 'connected' }]);
});

test('arbitrary output never throws (except the length bound) and never loops', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 300 }), (s) => {
      new GatttoolParser().feed(s);
    }),
  );
});

// Lines shaped like gatttool's answers, with their fields filled at random (values that are
// not hex, handles too long, UUIDs of any length), cut into random chunks.
const fieldText = fc.oneof(
  fc.stringMatching(/^[0-9a-fA-F]{0,6}$/),
  fc.string({ maxLength: 12 }),
  fc.constantFrom('0x', 'ffff', '0000', '-', ' ', '\x1b[0m', '\r'),
);
const shapedLine = fc
  .tuple(
    fc.constantFrom(
      'Notification handle = 0x@ value: @',
      'Indication   handle = 0x@ value: @',
      'Characteristic value/descriptor: @',
      'handle: 0x@ \t value: @',
      'attr handle: 0x@, end grp handle: 0x@ uuid: @',
      'Starting handle: 0x@ Ending handle: 0x@',
      'handle: 0x@, start handle: 0x@, end handle: 0x@ uuid: @',
      'handle: 0x@, char properties: 0x@, char value handle: 0x@, uuid: @',
      'handle: 0x@, uuid: @',
      'MTU was exchanged successfully: @',
      'Error: @',
      '\x1b[0;94m[@]\x1b[0m[LE]> @',
    ),
    fc.array(fieldText, { minLength: 4, maxLength: 4 }),
  )
  .map(([template, fields]) => {
    let i = 0;
    return template.replace(/@/g, () => fields[i++] ?? '');
  });

test('fuzz: gatttool-shaped lines with random fields, in random chunks: events or DecodeError', () => {
  fc.assert(
    fc.property(
      fc.array(shapedLine, { maxLength: 12 }),
      fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 20 }),
      (lines, cuts) => {
        const text = lines.join('\n') + '\n';
        const p = new GatttoolParser({ maxLineLength: 200 });
        let at = 0;
        for (let k = 0; at < text.length; k++) {
          const size = cuts[k % cuts.length] as number;
          try {
            p.feed(text.slice(at, at + size));
          } catch (e) {
            if (!(e instanceof DecodeError)) throw e;
          }
          at += size;
        }
      },
    ),
    { numRuns: 2000 },
  );
});
