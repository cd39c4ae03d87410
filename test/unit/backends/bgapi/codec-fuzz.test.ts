// Property tests of the BGAPI frame decoder: a frame with a known class and id and a random
// payload (length right or off by a little) decodes or gives DecodeError, nothing else.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { payloadBounds } from '../../../../src/backends/bgapi/codec/fields.js';
import { decodeFrame, encodeHeader } from '../../../../src/backends/bgapi/codec/packet.js';
import { COMMANDS, EVENTS } from '../../../../src/backends/bgapi/codec/messages.js';
import { DecodeError } from '../../../../src/core/errors.js';

type Fields = Parameters<typeof payloadBounds>[0];

/** Every message with the fields its payload carries in each direction. */
const known = [
  ...Object.values(COMMANDS).flatMap((m) => [
    { cls: m.cls, id: m.id, event: false, direction: 'toDevice' as const, fields: m.params },
    ...(m.returns
      ? [
          {
            cls: m.cls,
            id: m.id,
            event: false,
            direction: 'fromDevice' as const,
            fields: m.returns,
          },
        ]
      : []),
  ]),
  ...Object.values(EVENTS).map((m) => ({
    cls: m.cls,
    id: m.id,
    event: true,
    direction: 'fromDevice' as const,
    fields: m.params,
  })),
];

/** A payload about the size the message takes (sometimes off by a few), and a length field that usually agrees. */
const frame = fc
  .tuple(
    fc.constantFrom(...known),
    fc.oneof(
      { arbitrary: fc.constant(0), weight: 2 },
      { arbitrary: fc.integer({ min: -2, max: 40 }), weight: 1 },
    ),
    fc.uint8Array({ minLength: 300, maxLength: 300 }),
    fc.integer({ min: -2, max: 8 }),
  )
  .map(([m, extra, bytes, skew]) => {
    const { min, max } = payloadBounds(m.fields as Fields);
    const size = Math.max(0, Math.min(min + extra, max + 2, 300));
    const payload = bytes.subarray(0, size);
    // A u8 length prefix that matches the rest more often than chance would.
    const length = skew < 0 ? Math.max(0, size + skew) : size;
    const head = encodeHeader({ event: m.event, technology: 0, length, cls: m.cls, id: m.id });
    return { bytes: Buffer.concat([head, payload]), direction: m.direction };
  });

test('decodeFrame: known messages with random payloads decode or give DecodeError', () => {
  const outcomes = { decoded: 0, rejected: 0 };
  fc.assert(
    fc.property(frame, ({ bytes, direction }) => {
      try {
        const d = decodeFrame(bytes, direction);
        if (d.kind !== 'raw') outcomes.decoded++;
      } catch (e) {
        if (!(e instanceof DecodeError)) throw e;
        outcomes.rejected++;
      }
    }),
    { numRuns: 3000 },
  );
  // Both outcomes must be reached, or the generator is not exercising the field decoders.
  assert.ok(outcomes.decoded > 300 && outcomes.rejected > 300, JSON.stringify(outcomes));
});

test('decodeFrame: any bytes at all give a frame or DecodeError', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), fc.boolean(), (b, toDevice) => {
      try {
        decodeFrame(b, toDevice ? 'toDevice' : 'fromDevice');
      } catch (e) {
        if (!(e instanceof DecodeError)) throw e;
      }
    }),
    { numRuns: 2000 },
  );
});
