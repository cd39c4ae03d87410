/**
 * Regenerates src/mgmt/generated/protocol.ts from the stored doc (build-time only, so it lives
 * outside src/ and out of the package):
 *   npm run gen:mgmt [-- --check]
 * With --check it only reports whether the committed file is current (exit 1 if not).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { generateProtocol } from './generate.js';

// dist/tools/mgmt-gen/main.js → the project root is three levels up.
const root = fileURLToPath(new URL('../../../', import.meta.url));
const out = `${root}src/mgmt/generated/protocol.ts`;
const text = generateProtocol(root);

if (process.argv.includes('--check')) {
  const current = readFileSync(out, 'utf8');
  if (current !== text) {
    process.stderr.write(`${out} is out of date: regenerate it\n`);
    process.exitCode = 1;
  }
} else {
  writeFileSync(out, text);
  process.stdout.write(`wrote ${out}\n`);
}
