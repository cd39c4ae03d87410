// Bundles what the package's users load (the `blekit` command and the `blekit`, `blekit/central`
// entry points) from tsc's output into a few files under dist/src/bundle.
//
// Why: Node opens one file per ES module, and where opening a file is slow (the lab's 9p mount,
// a Raspberry Pi's SD card) start-up cost follows the file count, not the code size: unbundled,
// `blekit --version` took seconds in the lab. Code splitting keeps each CLI command and each
// optional dependency in a chunk of its own, loaded only when used. tsc's per-module output stays
// for the type declarations, the unit tests and `blekit/lab`.
import { build } from 'esbuild';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath, URL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = `${root}dist/src/bundle`;

/**
 * The lab stays out of the bundle (it locates its guest scripts from its own path and only
 * `blekit lab` needs it): imports of it point at tsc's output from the bundle's directory.
 */
const labOutside = {
  name: 'lab-outside',
  setup(b) {
    b.onResolve({ filter: /\/lab\/index\.js$/ }, () => {
      const target = `${root}dist/lab/index.js`;
      return { path: `./${relative(outdir, target)}`, external: true };
    });
  },
};

// Stale chunks from an earlier build would ship in the package.
rmSync(outdir, { recursive: true, force: true });
const result = await build({
  metafile: true,
  absWorkingDir: root,
  entryPoints: {
    cli: 'dist/src/cli/main.js',
    index: 'dist/src/index.js',
    central: 'dist/src/entry/central.js',
  },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Native or optional packages load from node_modules as they are; pure JavaScript ones
  // (commander, yaml, zod, cli-table3, log-update, and the gateway's mqtt and aedes) are bundled
  // so their dozens of files cost one, which is also why they are devDependencies: an install
  // of blekit fetches none of them.
  external: ['serialport', '@serialport/*'],
  // Bundled CommonJS dependencies (commander, yaml's helpers) may call require().
  banner: {
    js: "import { createRequire as __blekitRequire } from 'node:module'; const require = __blekitRequire(import.meta.url);",
  },
  // Chunks sit beside the entries: modules find package files (the addon) relative to themselves.
  chunkNames: '[name]-[hash]',
  legalComments: 'none',
  logLevel: 'warning',
  plugins: [labOutside],
});

// A computed import() specifier escapes the bundle: at run time it would load a second copy of
// the modules from tsc's output, whose error classes fail `instanceof` against the bundle's.
for (const file of Object.keys(result.metafile.outputs)) {
  const code = readFileSync(`${root}${file}`, 'utf8').replace(/^\s*\/\/.*$/gm, '');
  const computed = /\bimport\(\s*(?!["'`])([^)]{0,60})/.exec(code);
  if (computed) {
    console.error(`bundle: ${file} has import(${computed[1]}...): use a literal specifier`);
    process.exit(1);
  }
}

// The bundle carries other packages' code, whose licenses (MIT, ISC, Apache-2.0, ...) ask that
// their notices travel with it: one file lists each bundled package with its license text.
const packages = new Set();
for (const input of Object.keys(result.metafile.inputs)) {
  const m = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
  if (m) packages.add(`${root}${m[1]}`);
}
const notices = [];
for (const dir of [...packages].sort()) {
  const meta = JSON.parse(readFileSync(`${dir}/package.json`, 'utf8'));
  const licenseFile = readdirSync(dir).find((f) => /^(licen[cs]e|copying)([-.]|$)/i.test(f));
  const text = licenseFile ? readFileSync(`${dir}/${licenseFile}`, 'utf8').trim() : '';
  if (!text) {
    console.error(`bundle: ${meta.name} ships no license file; its notice cannot be carried`);
    process.exit(1);
  }
  notices.push(`${meta.name}@${meta.version} (${meta.license})\n\n${text}\n`);
}
writeFileSync(
  `${outdir}/THIRD-PARTY-NOTICES.txt`,
  `The files in this folder bundle the following packages.\n\n${notices.join(`\n${'-'.repeat(72)}\n\n`)}`,
);
