import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { BgapiStreamParser, decodeFrame } from '../../../../src/backends/bgapi/codec/index.js';
import { EVENT_VECTORS, RESPONSE_VECTORS, hexBytes } from './vectors.js';

const FRAMES = [...RESPONSE_VECTORS, ...EVENT_VECTORS].map(([, , hex]) => hexBytes(hex));

/** Splits bytes into chunks at the given cut points (as a serial port delivers them). */
function chunked(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of [...points, bytes.length]) {
    out.push(bytes.subarray(prev, p));
    prev = p;
  }
  return out;
}

const frameArb = fc.constantFrom(...FRAMES);

describe('BGAPI stream parser', () => {
  test('frames split anywhere come out whole and in order', () => {
    fc.assert(
      fc.property(fc.array(frameArb, { maxLength: 20 }), fc.array(fc.nat()), (frames, cuts) => {
        const p = new BgapiStreamParser('fromDevice');
        const got = chunked(Buffer.concat(frames), cuts).flatMap((c) => p.push(c));
        assert.deepEqual(
          got,
          frames.map((f) => decodeFrame(f, 'fromDevice')),
        );
        assert.equal(p.pending, 0);
        assert.equal(p.discarded, 0);
      }),
    );
  });

  test('any bytes, any chunking: never throws, never holds a whole frame back', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.array(fc.nat()), (bytes, cuts) => {
        const p = new BgapiStreamParser('fromDevice');
        for (const c of chunked(Buffer.from(bytes), cuts)) p.push(c);
        // What is left is at most one partial frame: a header plus less than its payload.
        assert.ok(p.pending <= 4 + 0x7ff);
        assert.equal(p.discarded + p.pending <= bytes.length, true);
      }),
    );
  });

  test('resynchronises after garbage once the line goes quiet', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 100 }),
        fc.array(frameArb, { minLength: 1, maxLength: 10 }),
        fc.array(fc.nat()),
        (garbage, frames, cuts) => {
          const p = new BgapiStreamParser('fromDevice');
          // Frames hidden in the noise may come out of push/flush; what follows must be exact.
          p.push(garbage);
          p.flush();
          assert.equal(p.pending, 0);
          const got = chunked(Buffer.concat(frames), cuts).flatMap((c) => p.push(c));
          assert.deepEqual(
            got,
            frames.map((f) => decodeFrame(f, 'fromDevice')),
          );
        },
      ),
    );
  });

  test('garbage that cannot start a frame is skipped without waiting', () => {
    // 0x78 sets every technology bit, so no header can start on such a byte.
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 50 }).map((g) => g.map((x) => x | 0x78)),
        fc.array(frameArb, { minLength: 1, maxLength: 10 }),
        (garbage, frames) => {
          const p = new BgapiStreamParser('fromDevice');
          const got = p.push(Buffer.concat([garbage, ...frames]));
          assert.deepEqual(
            got,
            frames.map((f) => decodeFrame(f, 'fromDevice')),
          );
          assert.equal(p.discarded, garbage.length);
        },
      ),
    );
  });

  test('a frame with a bad inner length is dropped byte by byte and the next one found', () => {
    const p = new BgapiStreamParser('fromDevice');
    const bad = hexBytes('80 07 04 05 00 03 00 00 03 41 42');
    const good = hexBytes('80 03 03 04 00 13 02');
    // Behind the bad frame's first byte sits a plausible long header, so it waits ...
    assert.deepEqual(p.push(Buffer.concat([bad, good])), []);
    // ... until the line goes quiet. Noise can look like frames of unknown IDs (raw), but the
    // real frame behind it comes out decoded.
    const got = p.flush();
    assert.deepEqual(got.at(-1), decodeFrame(good, 'fromDevice'));
    assert.ok(got.slice(0, -1).every((f) => f.kind === 'raw'));
    assert.equal(p.pending, 0);
  });

  test('unknown commands of a known class come through raw', () => {
    const p = new BgapiStreamParser('fromDevice');
    const got = p.push(hexBytes('80 01 04 20 07'));
    assert.equal(got.length, 1);
    assert.equal(got[0]?.kind, 'raw');
  });
});
