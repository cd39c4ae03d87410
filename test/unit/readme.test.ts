// The README's TypeScript snippets must work when pasted: each one is also a file under
// examples/readme/ that the build type-checks, and this test keeps the two identical.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..', '..', '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const snippets = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);

function example(name: string): string {
  const text = readFileSync(join(root, 'examples', 'readme', `${name}.ts`), 'utf8');
  return text
    .split('\n')
    .filter((l) => !l.startsWith('// The ') || !l.includes('snippet from README.md'))
    .join('\n')
    .replace("from '../../src/index.js';", "from 'blekit';");
}

test('README has the four snippets, in order', () => {
  assert.equal(snippets.length, 4);
});

for (const [i, name] of ['central', 'central-pairing', 'peripheral', 'mgmt'].entries()) {
  test(`README's ${name} snippet is examples/readme/${name}.ts`, () => {
    assert.equal(snippets[i], example(name));
  });
}
