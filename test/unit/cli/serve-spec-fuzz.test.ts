// Property tests of the serve spec parser: whatever the text, a spec or a typed error
// (SpecError, or InvalidArgumentError from the value checks), never another exception.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { parseServeSpec } from '../../../src/cli/serve-spec.js';
import { BleError } from '../../../src/core/errors.js';

const FIXTURE = readFileSync(
  fileURLToPath(new URL('../../../../examples/heart-rate.yaml', import.meta.url)),
  'utf8',
);
const LINES = FIXTURE.split('\n');

/** Parses; returns 'ok' or 'typed', and fails the property on any other exception. */
function outcome(text: string): 'ok' | 'typed' {
  try {
    parseServeSpec(text, 'fuzz.yaml');
    return 'ok';
  } catch (e) {
    assert.ok(e instanceof BleError, `${String((e as Error)?.name)}: ${String(e)}\n${text}`);
    return 'typed';
  }
}

// The characters YAML gives meaning to, plus a few of the fixture's words.
const yamlish = fc
  .array(
    fc.oneof(
      fc.constantFrom(...':-[]{},&*!|>\'"#%@`?\n\n  '.split('')),
      fc.constantFrom('services', 'uuid', 'characteristics', 'flags', 'value', '180d', '2a37'),
      fc.constantFrom('&a ', '*a', '<<: *a', '---', '...', '0x', 'true', 'null', '~', '1e9'),
      fc.string({ maxLength: 4 }),
    ),
    { maxLength: 80 },
  )
  .map((parts) => parts.join(''));

/** The fixture with lines dropped, duplicated, swapped or cut. */
const mutated = fc
  .array(
    fc.tuple(
      fc.nat(LINES.length - 1),
      fc.constantFrom('drop', 'dup', 'cut', 'swap'),
      fc.nat(LINES.length - 1),
    ),
    { minLength: 1, maxLength: 4 },
  )
  .map((edits) => {
    const lines = [...LINES];
    for (const [i, op, j] of edits) {
      const line = lines[i] ?? '';
      if (op === 'drop') lines.splice(i, 1);
      else if (op === 'dup') lines.splice(i, 0, line);
      else if (op === 'cut') lines[i] = line.slice(0, j % (line.length + 1));
      else [lines[i], lines[j]] = [lines[j] ?? '', line];
    }
    return lines.join('\n');
  });

test('serve spec: YAML-ish text gives a spec or a typed error', () => {
  fc.assert(
    fc.property(yamlish, (t) => void outcome(t)),
    { numRuns: 2000 },
  );
});

test('serve spec: any JSON value, as JSON and as YAML, gives a spec or a typed error', () => {
  fc.assert(
    fc.property(fc.jsonValue({ maxDepth: 4 }), (v) => {
      outcome(JSON.stringify(v) ?? 'null');
      outcome(stringify(v));
    }),
    { numRuns: 400 },
  );
});

test('serve spec: the lab fixture, mutated, gives a spec or a typed error', () => {
  const seen = { ok: 0, typed: 0 };
  fc.assert(
    fc.property(mutated, (t) => void seen[outcome(t)]++),
    { numRuns: 400 },
  );
  // Mutations must both keep some specs valid and break others, or they test little.
  console.log(`# mutated fixture: ${seen.ok} valid, ${seen.typed} typed errors`);
  assert.ok(seen.ok > 20 && seen.typed > 100, JSON.stringify(seen));
});
