import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { bashCompletion, zshCompletion } from '../../../src/cli/completion-scripts.js';
import { buildProgram } from '../../../src/cli/program.js';

const dir = mkdtempSync(join(tmpdir(), 'blekit-completion-'));
const bashFile = join(dir, 'blekit.bash');
writeFileSync(bashFile, bashCompletion(await buildProgram()));

/** What bash offers after the typed words (the last one is the word being completed). */
function complete(words: string[]): string[] {
  const script = `source ${JSON.stringify(bashFile)}
COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')})
COMP_CWORD=${words.length - 1}
_blekit_complete
printf '%s\\n' "\${COMPREPLY[@]}"`;
  const r = spawnSync('bash', ['--norc', '-c', script], { encoding: 'utf8', cwd: dir });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\n').filter(Boolean).sort();
}

test('bash completion offers commands, options, choices and files', () => {
  const top = complete(['blekit', '']);
  for (const c of [
    'scan',
    'info',
    'read',
    'write',
    'notify',
    'serve',
    'doctor',
    'completion',
    'lab',
    'mgmt',
  ]) {
    assert.ok(top.includes(c), c);
  }
  assert.deepEqual(complete(['blekit', 're']), ['read']);
  assert.ok(complete(['blekit', 'scan', '--']).includes('--passive'));
  assert.ok(complete(['blekit', 'scan', '--']).includes('--adapter'));
  assert.deepEqual(complete(['blekit', 'read', '--backend', '']), ['bgapi', 'dbus', 'gatttool']);
  assert.deepEqual(
    complete(['blekit', 'completion', '']).filter((w) => !w.startsWith('-')),
    [],
  );
  assert.ok(complete(['blekit', 'lab', '']).includes('run'));
  // serve's spec argument completes file names
  writeFileSync(join(dir, 'hr-spec.yaml'), 'x');
  assert.deepEqual(complete(['blekit', 'serve', 'hr-']), ['hr-spec.yaml']);
});

test('zsh completion names every command with its description (syntax-checked when zsh exists)', async (t) => {
  const text = zshCompletion(await buildProgram());
  assert.match(text, /^#compdef blekit/);
  assert.match(text, /'scan:scan for advertising devices/);
  assert.match(text, /\{-b,--backend\}'\[central backend\]:backend:\(dbus gatttool bgapi\)'/);
  const zsh = spawnSync('zsh', ['-n'], { input: text, encoding: 'utf8' });
  if (zsh.error) {
    t.diagnostic('zsh is not installed: syntax not checked');
    return;
  }
  assert.equal(zsh.status, 0, zsh.stderr);
});
