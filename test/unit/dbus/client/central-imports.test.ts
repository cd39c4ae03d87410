// Both roles run on blekit's own D-Bus client: importing them must load no dbus-next module (its
// XML and introspection code cost ~5 MiB of RSS, and it is no longer a dependency).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../../src/', import.meta.url));

for (const [what, files] of [
  ['the central and its dbus backend', ['central/index.js', 'backends/dbus/index.js']],
  ["the 'blekit/central' entry", ['entry/central.js']],
  ['the package root with the peripheral', ['index.js', 'peripheral/index.js']],
] as const) {
  test(`importing ${what} loads no dbus-next module`, () => {
    const script = `
    import { createRequire } from 'node:module';
    for (const f of ${JSON.stringify(files.map((f) => root + f))}) await import(f);
    const loaded = Object.keys(createRequire(import.meta.url).cache)
      .filter((k) => k.includes('/node_modules/'))
      .map((k) => k.slice(k.lastIndexOf('/node_modules/') + 14));
    console.log(JSON.stringify(loaded));
  `;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    const loaded = JSON.parse(out) as string[];
    assert.deepEqual(
      loaded.filter((m) => m.startsWith('dbus-next/') || m.startsWith('xml2js/')),
      [],
    );
  });
}
