// Bad input to the CLI exits 2 (bad input) with a clear message, never 1 (a bug).
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { programFor } from '../../../src/cli/program.js';
import { ExitCode, exitCodeFor } from '../../../src/cli/exit-codes.js';
import { parseServeSpec, SpecError } from '../../../src/cli/serve-spec.js';
import { checkCliOptions } from '../../../src/backends/gatttool/backend.js';
import { Central } from '../../../src/central/index.js';
import { isAdapterName } from '../../../src/core/adapter-name.js';
import { InvalidArgumentError } from '../../../src/core/errors.js';
import { FakeBackend } from '../central/fake-backend.js';

/** Runs blekit in-process; commander's usage errors surface as exit 2, as in main.ts. */
async function run(args: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const program = await programFor(['node', 'blekit', ...args], {
    stdout: { write: () => true },
    stderr: { write: (s: string) => (stderr += s) },
  });
  process.exitCode = 0;
  let code: number;
  try {
    await program.parseAsync(['node', 'blekit', ...args]);
    code = Number(process.exitCode ?? 0);
  } catch (e) {
    code = exitCodeFor(e);
  }
  process.exitCode = 0;
  return { code, stderr };
}

// A 9-level "billion laughs": 9^9 strings once every alias is expanded.
const LAUGHS = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
  .concat(
    'bcdefghi'
      .split('')
      .map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(',')}]`),
  )
  .join('\n');

const dir = await mkdtemp(join(tmpdir(), 'blekit-input-'));
after(() => rm(dir, { recursive: true, force: true }));

test('serve spec alias errors are SpecErrors with a position (exit 2)', async () => {
  assert.ok(LAUGHS.length < 500, `${LAUGHS.length} bytes`);
  for (const [text, message, line] of [
    [LAUGHS, /Excessive alias count/, 2],
    ['services: *nope\n', /Unresolved alias/, 1],
  ] as const) {
    assert.throws(
      () => parseServeSpec(text, 'spec.yaml'),
      (e: unknown) => {
        assert.ok(e instanceof SpecError, String(e));
        assert.match(e.message, message);
        assert.equal(e.line, line);
        assert.equal(exitCodeFor(e), ExitCode.BadInput);
        return true;
      },
    );
    const file = join(dir, `alias-${line}.yaml`);
    await writeFile(file, text);
    const r = await run(['serve', file, '--check']);
    assert.equal(r.code, ExitCode.BadInput, r.stderr);
    assert.match(r.stderr, message);
  }
});

test('mgmt --index must be a controller index 0..65534', async () => {
  for (const bad of ['-1', '65535', '1.5', 'x', '99999999999999999999']) {
    const r = await run(['mgmt', 'ReadControllerInformation', '--index', bad]);
    assert.equal(r.code, ExitCode.BadInput, `--index ${bad}: ${r.stderr}`);
    assert.match(r.stderr, /controller index 0\.\.65534/);
  }
});

test('--adapter takes hci0..hci65534 or an address, on every command that has it', async () => {
  for (const bad of ['hci99999999999999999999', 'hci65535', 'hci007', 'hci', 'hci-1']) {
    for (const cmd of [['scan'], ['serve', 'x.yaml'], ['bgapi-emulator']]) {
      const r = await run([...cmd, '--adapter', bad]);
      assert.equal(r.code, ExitCode.BadInput, `${cmd[0]} --adapter ${bad}: ${r.stderr}`);
      assert.match(r.stderr, /hci0\.\.hci65534/);
    }
    assert.throws(
      () => new Central({ backend: new FakeBackend(), adapter: bad }),
      InvalidArgumentError,
    );
  }
  assert.throws(
    () => new Central({ backend: new FakeBackend(), adapter: 65535 }),
    InvalidArgumentError,
  );
  for (const ok of ['hci0', 'hci1', 'hci65534']) assert.ok(isAdapterName(ok), ok);
  assert.throws(
    () => parseServeSpec('adapter: hci99999999999999999999\nservices: []\n', 's.yaml'),
    /adapter: hciN with N 0\.\.65534/,
  );
});

test('gatttool options: attached and clustered short options blekit sets are refused', () => {
  for (const bad of ['-ihci1', '-bAA:BB:CC:DD:EE:FF', '-Ib', '-tpublic', '-p31', '-mh', '-lhigh']) {
    assert.throws(() => checkCliOptions([bad]), InvalidArgumentError, bad);
  }
  assert.deepEqual(checkCliOptions(['-m', '48', '-l', 'high', '--sec-level=medium', '-m48']), [
    '-m',
    '48',
    '-l',
    'high',
    '--sec-level=medium',
    '-m48',
  ]);
});
