import { readFileSync } from 'node:fs';
import { emitProtocol, parseRevision } from './emit.js';
import { parseMgmtDoc } from './parse-doc.js';

/** The generated table's text from the doc and REVISION under `root` (the project directory). */
export function generateProtocol(root: string): string {
  const doc = readFileSync(`${root}tools/mgmt-gen/spec/mgmt-api.txt`, 'utf8');
  const rev = parseRevision(readFileSync(`${root}tools/mgmt-gen/spec/REVISION`, 'utf8'));
  return emitProtocol(parseMgmtDoc(doc), rev);
}
