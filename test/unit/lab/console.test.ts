import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConsoleParser } from '../../../lab/console.js';

function collect() {
  const seen = {
    progress: [] as string[],
    fatal: [] as string[],
    boot: [] as string[],
    out: '',
    exit: null as number | null,
  };
  const parser = new ConsoleParser({
    progress: (m) => seen.progress.push(m),
    fatal: (m) => seen.fatal.push(m),
    bootLine: (l) => seen.boot.push(l),
    output: (t) => (seen.out += t),
    exit: (c) => (seen.exit = c),
  });
  return { seen, parser };
}

const BOOT =
  '[ 1.0] noise\r\n@@blekit-lab progress loading modules\n@@blekit-lab progress ready: 2\n';

test('separates boot progress, command output and exit status', () => {
  const { seen, parser } = collect();
  parser.push(BOOT + '@@blekit-lab start\nhello\nworld\n@@blekit-lab exit 3\ntrailing shutdown\n');
  assert.deepEqual(seen.progress, ['loading modules', 'ready: 2']);
  assert.deepEqual(seen.boot, ['[ 1.0] noise']);
  assert.equal(seen.out, 'hello\nworld\n');
  assert.equal(seen.exit, 3);
  assert.ok(parser.finished);
});

test('output split at every byte boundary arrives unchanged', () => {
  const text =
    BOOT +
    '@@blekit-lab start\nline one\npartial@@ not a marker\n\u00ff\u0000bin@@blekit-lab exit 0\n';
  for (let size = 1; size <= 7; size++) {
    const { seen, parser } = collect();
    for (let i = 0; i < text.length; i += size) parser.push(text.slice(i, i + size));
    assert.equal(
      seen.out,
      'line one\npartial@@ not a marker\n\u00ff\u0000bin',
      `chunk size ${size}`,
    );
    assert.equal(seen.exit, 0);
  }
});

test('an exit marker in the middle of a line is still found', () => {
  const { seen, parser } = collect();
  parser.push('@@blekit-lab start\nno newline at end@@blekit-lab exit 1\n');
  assert.equal(seen.out, 'no newline at end');
  assert.equal(seen.exit, 1);
});

test('flush releases held-back output only when it cannot be a marker', () => {
  const { seen, parser } = collect();
  parser.push('@@blekit-lab start\nshort');
  assert.equal(seen.out, '');
  parser.flush();
  assert.equal(seen.out, 'short');
  parser.push('@@blekit-la');
  parser.flush();
  assert.equal(seen.out, 'short');
  assert.equal(seen.exit, null);
});

test('a fatal boot message is reported and nothing is output', () => {
  const { seen, parser } = collect();
  parser.push('@@blekit-lab fatal hci1 not powered\n');
  assert.deepEqual(seen.fatal, ['hci1 not powered']);
  assert.equal(seen.out, '');
  assert.equal(seen.exit, null);
});
