/**
 * Property-based fuzzing of the decoders: random bytes give a decoded frame, a raw frame or a
 * DecodeError, and never any other exception.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { DecodeError } from '../../../src/core/errors.js';
import { decodeCommand, decodeEvent, decodeReply } from '../../../src/mgmt/frame.js';
import { COMMANDS, EVENTS } from '../../../src/mgmt/generated/protocol.js';
import type { CommandName } from '../../../src/mgmt/types.js';

function onlyDecodeErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e;
  }
}

const eventCodes = Object.values(EVENTS).map((e) => e.code);
const commandNames = Object.keys(COMMANDS) as CommandName[];

/** Header with a known (or nearby unknown) event code and a length that usually matches. */
const framed = fc
  .tuple(
    fc.oneof(fc.constantFrom(...eventCodes), fc.integer({ min: 0, max: 0xffff })),
    fc.integer({ min: 0, max: 0xffff }),
    fc.uint8Array({ maxLength: 300 }),
    fc.integer({ min: -2, max: 2 }),
  )
  .map(([code, index, params, skew]) => {
    const h = Buffer.alloc(6);
    h.writeUInt16LE(code, 0);
    h.writeUInt16LE(index, 2);
    h.writeUInt16LE(Math.max(0, params.length + (skew === 0 || skew === 1 ? 0 : skew)), 4);
    return Buffer.concat([h, params]);
  });

test('decodeEvent over 5000 random byte strings', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 400 }), (b) =>
      onlyDecodeErrors(() => decodeEvent(Buffer.from(b))),
    ),
    { numRuns: 5000 },
  );
});

test('decodeEvent over 10000 well-framed random events', () => {
  let decoded = 0;
  let raw = 0;
  let rejected = 0;
  fc.assert(
    fc.property(framed, (b) => {
      try {
        const ev = decodeEvent(b);
        if (ev.name === 'Unknown') raw++;
        else decoded++;
      } catch (e) {
        if (!(e instanceof DecodeError)) throw e;
        rejected++;
      }
    }),
    { numRuns: 10000 },
  );
  // The generator must reach all three outcomes, or the test is not exercising the decoders.
  assert.ok(decoded > 300 && raw > 300 && rejected > 1000, `${decoded}/${raw}/${rejected}`);
});

test('decodeReply of every command over random return parameters', () => {
  fc.assert(
    fc.property(fc.constantFrom(...commandNames), fc.uint8Array({ maxLength: 400 }), (name, b) =>
      onlyDecodeErrors(() => decodeReply(name, Buffer.from(b))),
    ),
    { numRuns: 5000 },
  );
});

test('decodeCommand over random frames', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (b) =>
      onlyDecodeErrors(() => decodeCommand(Buffer.from(b))),
    ),
    { numRuns: 3000 },
  );
});

test('non-Buffer input is a DecodeError too', () => {
  assert.throws(() => decodeEvent('x' as never), DecodeError);
});
