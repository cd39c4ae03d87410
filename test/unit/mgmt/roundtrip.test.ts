/**
 * A round-trip check for every command (parameters and reply) and every event in the table:
 * random values encode, decode and re-encode to the same bytes.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { decodeParams, encodeParams } from '../../../src/mgmt/codec.js';
import type { FieldSpec } from '../../../src/mgmt/fields.js';
import { decodeCommand, decodeEvent, encodeCommand, encodeEvent } from '../../../src/mgmt/frame.js';
import { COMMANDS, EVENTS } from '../../../src/mgmt/generated/protocol.js';
import type { CommandName, EventName } from '../../../src/mgmt/types.js';
import { objectArb } from './arbitraries.js';

const RUNS = 40;

function stable(fields: readonly FieldSpec[], what: string): void {
  fc.assert(
    fc.property(objectArb(fields), (v) => {
      const once = encodeParams(fields, v, what);
      const back = encodeParams(fields, decodeParams(fields, once, what), what);
      assert.deepEqual(back, once);
    }),
    { numRuns: RUNS },
  );
}

describe('every command round-trips', () => {
  for (const [name, spec] of Object.entries(COMMANDS)) {
    const params = spec.params as readonly FieldSpec[];
    const reply = spec.reply as readonly FieldSpec[];
    test(name, () => {
      stable(params, name);
      stable(reply, `${name} reply`);
      fc.assert(
        fc.property(objectArb(params), fc.integer({ min: 0, max: 0xffff }), (v, index) => {
          const frame = encodeCommand(name as CommandName, index, v as never);
          const d = decodeCommand(frame);
          assert.equal(d.name, name);
          assert.equal(d.code, spec.code);
          assert.equal(d.index, index);
          assert.deepEqual(encodeCommand(name as CommandName, index, d.params as never), frame);
        }),
        { numRuns: RUNS },
      );
    });
  }
});

describe('every event round-trips', () => {
  for (const [name, spec] of Object.entries(EVENTS)) {
    const params = spec.params as readonly FieldSpec[];
    test(name, () => {
      fc.assert(
        fc.property(objectArb(params), fc.integer({ min: 0, max: 0xffff }), (v, index) => {
          const frame = encodeEvent(name as EventName, index, v as never);
          const ev = decodeEvent(frame);
          assert.equal(ev.name, name);
          assert.equal(ev.code, spec.code);
          assert.equal(ev.index, index);
          assert.ok('params' in ev);
          assert.deepEqual(encodeEvent(name as EventName, index, ev.params as never), frame);
        }),
        { numRuns: RUNS },
      );
    });
  }
});
