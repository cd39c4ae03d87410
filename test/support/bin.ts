// The `blekit` command as users get it: the file package.json's "bin" names (the bundle).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { bin: { blekit: string } };

export const blekitBin = `${root}${pkg.bin.blekit}`;
