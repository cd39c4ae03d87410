// The prebuilt ARM addons, proven on Debian's own arm64 and armhf node under qemu-user: the
// addon loads from prebuilds/linux-<arch> and the native unit tests pass there.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { foreignNode } from '../support/debian-sysroot.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
// Socket pairs and seqpacket, unix streams, and fds passed with SCM_RIGHTS.
const NATIVE_TESTS = [
  'dist/test/unit/native/seqpacket.test.js',
  'dist/test/unit/native/fd-passing.test.js',
  'dist/test/unit/dbus/client/unix-stream.test.js',
];
const STATUS = `import('./dist/src/native/addon.js').then((m) => {
  console.log(JSON.stringify({ arch: process.arch, version: process.version, ...m.nativeStatus() }));
});`;

/** Runs Debian's foreign node under qemu; node --test would spawn it without qemu, so not that. */
function run(
  n: ReturnType<typeof foreignNode>,
  args: string[],
): Promise<{ code: number; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(n.qemu, ['-L', n.sysroot, n.node, ...args], {
      cwd: root,
      // Without NODE_TEST_CONTEXT: it would make the foreign node report to us in v8 wire format.
      env: Object.fromEntries(
        Object.entries(process.env).filter(([k]) => k !== 'NODE_TEST_CONTEXT'),
      ),
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 5 * 60_000,
    });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, out }));
  });
}

for (const [debArch, nodeArch] of [
  ['arm64', 'arm64'],
  ['armhf', 'arm'],
] as const) {
  test(`on Debian's ${debArch} node under qemu-user the prebuild loads and the native tests pass`, async (t) => {
    const n = foreignNode(debArch, (s) => t.diagnostic(s));
    const status = await run(n, ['--input-type=module', '-e', STATUS]);
    assert.equal(status.code, 0, status.out);
    const s = JSON.parse(status.out.trim().split('\n').pop() as string) as Record<string, unknown>;
    t.diagnostic(`${debArch}: node ${String(s.version)}, addon from ${String(s.path)}`);
    assert.equal(s.arch, nodeArch);
    assert.equal(s.loaded, true, String(s.reason));
    assert.equal(s.source, 'prebuild');
    assert.equal(s.path, join(root, 'prebuilds', `linux-${nodeArch}`, 'blekit_seqpacket.node'));
    for (const file of NATIVE_TESTS) {
      const r = await run(n, ['--test-reporter=spec', file]);
      const passed = Number(/^ℹ pass (\d+)$/m.exec(r.out)?.[1] ?? 0);
      t.diagnostic(`${debArch} ${file}: exit ${r.code}, ${passed} passed`);
      assert.equal(r.code, 0, `${file} on ${debArch}:\n${r.out}`);
      assert.ok(passed > 0, `${file} ran no test on ${debArch}:\n${r.out}`);
      assert.match(r.out, /^ℹ fail 0$/m);
    }
  });
}
