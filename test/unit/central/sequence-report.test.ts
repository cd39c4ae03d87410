import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sequenceReport } from '../../lab/central/sequence.js';

test('an ordered complete stream reports nothing', () => {
  const r = sequenceReport([0, 1, 2, 3], 4);
  assert.deepEqual(r, { received: 4, missing: [], duplicates: [], unexpected: [], outOfOrder: 0 });
});

test('late values count as out of order, lost and repeated ones are listed', () => {
  // 3 and 4 overtake 1 and 2; 5 is lost; 0 comes twice; 9 does not belong.
  const r = sequenceReport([0, 3, 4, 1, 2, 0, 6, 9], 7);
  assert.deepEqual(r.missing, [5]);
  assert.deepEqual(r.duplicates, [0]);
  assert.deepEqual(r.unexpected, [9]);
  assert.equal(r.outOfOrder, 3);
  assert.equal(r.received, 8);
});
