// main.ts builds only the invoked command in full; the rest must still look the same to users.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildProgram, programFor } from '../../../src/cli/program.js';

function helpOf(program: Awaited<ReturnType<typeof buildProgram>>): string {
  return program.helpInformation();
}

test('the top-level help of the lazy program is the full program help, word for word', async () => {
  const full = helpOf(await buildProgram());
  for (const argv of [[], ['--help'], ['read'], ['mgmt', 'list'], ['nosuch']]) {
    const lazy = helpOf(await programFor(['node', 'blekit', ...argv]));
    assert.equal(lazy, full, `top-level help differs when invoked as: blekit ${argv.join(' ')}`);
  }
});

test('the invoked command (also as "help X") is built in full, the others are stubs', async () => {
  for (const argv of [
    ['read', '00:AA:01:01:00:01', '2a19'],
    ['help', 'read'],
    ['--json', 'read'],
  ]) {
    const program = await programFor(['node', 'blekit', ...argv]);
    const read = program.commands.find((c) => c.name() === 'read')!;
    assert.ok(
      read.options.some((o) => o.long === '--adapter'),
      `read not loaded for ${argv}`,
    );
    const scan = program.commands.find((c) => c.name() === 'scan')!;
    assert.equal(scan.options.length, 0);
  }
});

test('each command, invoked, has the same help as in the full program', async () => {
  const full = await buildProgram();
  for (const c of full.commands) {
    const lazy = await programFor(['node', 'blekit', c.name()]);
    const mine = lazy.commands.find((x) => x.name() === c.name())!;
    assert.equal(mine.helpInformation(), c.helpInformation(), c.name());
  }
});
