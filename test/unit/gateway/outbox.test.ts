import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Outbox } from '../../../src/gateway/outbox.js';

const m = (
  topic: string,
  text: string,
  retain = false,
): { topic: string; text: string; retain: boolean } => ({
  topic,
  text,
  retain,
});

test('the outbox keeps the newest up to its bound, in order, and counts what it dropped', () => {
  const o = new Outbox(3);
  for (const t of ['1', '2', '3', '4', '5']) o.push(m('a', t));
  assert.equal(o.size, 3);
  assert.equal(o.dropped, 2);
  assert.deepEqual(
    o.take().map((x) => x.text),
    ['3', '4', '5'],
  );
  assert.equal(o.size, 0);
  assert.equal(o.dropped, 2, 'drops are counted for the life of the gateway');
});

test('a retained message replaces the waiting one on its topic without counting a loss', () => {
  const o = new Outbox(3);
  o.push(m('p', 'old', true));
  o.push(m('a', '1'));
  o.push(m('p', 'new', true));
  assert.deepEqual(
    o.take().map((x) => x.text),
    ['1', 'new'],
  );
  assert.equal(o.dropped, 0);
  const none = new Outbox(0);
  none.push(m('a', '1'));
  assert.equal(none.size, 0);
  assert.equal(none.dropped, 1);
});
