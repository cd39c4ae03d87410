// The package as a consumer gets it: `npm pack`, then `npm install <tarball>` into an empty
// project with npm's default settings (and again with --ignore-scripts). The addon must load
// from the prebuild with nothing compiled, ESM, CommonJS and TypeScript consumers must work,
// and the CLI must run from node_modules/.bin.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'blekit-consumer-'));
const version = (
  JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }
).version;
const PREBUILDS = ['linux-x64', 'linux-arm64', 'linux-arm'];

/** The environment of a user's shell: none of the npm_* settings `npm test` passes down. */
function userEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) && k !== 'NODE_OPTIONS'),
  );
}

function run(cmd: string, args: string[], cwd: string): { code: number; out: string; err: string } {
  const r = spawnSync(cmd, args, {
    cwd,
    env: userEnv(),
    encoding: 'utf8',
    timeout: 5 * 60_000,
    maxBuffer: 64 << 20,
  });
  return { code: r.status ?? 1, out: r.stdout, err: r.stderr };
}

let tarball = '';

before(() => {
  // npm test has just built dist and the prebuilds; prepack would only build them again.
  const r = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], root);
  assert.equal(r.code, 0, r.err);
  const [info] = JSON.parse(r.out) as [{ filename: string }];
  tarball = join(work, info.filename);
});

after(() => rmSync(work, { recursive: true, force: true }));

test('the tarball holds what users need and nothing that points at missing files', () => {
  const r = run('npm', ['pack', '--dry-run', '--ignore-scripts', '--json'], root);
  const [info] = JSON.parse(r.out) as [
    { files: { path: string }[]; size: number; unpackedSize: number },
  ];
  const files = info.files.map((f) => f.path);
  console.log(
    `# tarball: ${files.length} files, ${info.size} bytes packed, ${info.unpackedSize} unpacked`,
  );
  for (const p of PREBUILDS) assert.ok(files.includes(`prebuilds/${p}/blekit_seqpacket.node`), p);
  for (const f of [
    'LICENSE',
    'README.md',
    'examples/heart-rate.yaml',
    'dist/examples/heart-rate-central.js',
    'binding.gyp',
    'src/native/seqpacket.c',
  ]) {
    assert.ok(files.includes(f), `${f} is not shipped`);
  }
  assert.deepEqual(
    files.filter((f) => f.endsWith('.map')),
    [],
  );
  assert.deepEqual(
    files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')),
    [],
  );
  assert.equal(existsSync(tarball), true);
});

const ESM = `import { nativeStatus } from 'blekit';
import { readFileSync } from 'node:fs';
const { version } = JSON.parse(readFileSync('node_modules/blekit/package.json', 'utf8'));
console.log(JSON.stringify({ version, ...nativeStatus() }));
`;
const CJS = `const { nativeStatus } = require('blekit');
const { version } = require('./node_modules/blekit/package.json');
console.log(JSON.stringify({ version, ...nativeStatus() }));
`;
const TS = `import { nativeStatus, type NativeStatus, Central, type GatewayOptions } from 'blekit';
import { Central as C2 } from 'blekit/central';
const s: NativeStatus = nativeStatus();
const same: typeof Central = C2;
const mqtt: GatewayOptions['mqttOptions'] = { username: 'u', ca: [Buffer.from('')] };
console.log(s.loaded, same.name, mqtt);
`;
// mqtt and aedes ship inside the bundle: the gateway must reach its embedded broker with them.
const GATEWAY = `import { Gateway } from 'blekit';
const central = { async *scanStream() { await new Promise((r) => setTimeout(r, 200)); } };
const g = new Gateway({ central, embedded: { port: 0 } });
await g.start();
await g.stop();
console.log('gateway ok');
`;

function consumer(flags: string[]): string {
  const dir = mkdtempSync(join(work, 'app-'));
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'app', version: '1.0.0', private: true }),
  );
  const r = run('npm', ['install', '--no-audit', '--no-fund', ...flags, tarball], dir);
  assert.equal(r.code, 0, `npm install ${flags.join(' ')} failed:\n${r.out}\n${r.err}`);
  // Nothing compiled: node-gyp leaves build/ and prints "gyp info".
  assert.doesNotMatch(`${r.out}\n${r.err}`, /gyp (info|ERR)|node-gyp/);
  assert.equal(existsSync(join(dir, 'node_modules', 'blekit', 'build')), false);
  return dir;
}

function fromPrebuild(out: string, dir: string): void {
  const s = JSON.parse(out.trim().split('\n').pop() as string) as Record<string, unknown>;
  assert.equal(s.version, version);
  assert.equal(s.loaded, true, String(s.reason));
  assert.equal(s.source, 'prebuild');
  assert.equal(
    s.path,
    join(
      dir,
      'node_modules',
      'blekit',
      'prebuilds',
      `linux-${process.arch}`,
      'blekit_seqpacket.node',
    ),
  );
}

for (const flags of [[], ['--ignore-scripts']]) {
  test(`npm install ${flags.join(' ') || '(defaults)'}: ESM, CommonJS, TypeScript and the CLI work`, () => {
    const dir = consumer(flags);
    writeFileSync(join(dir, 'esm.mjs'), ESM);
    writeFileSync(join(dir, 'cjs.cjs'), CJS);
    const esm = run(process.execPath, ['esm.mjs'], dir);
    assert.equal(esm.code, 0, esm.err);
    fromPrebuild(esm.out, dir);
    const cjs = run(process.execPath, ['cjs.cjs'], dir);
    assert.equal(cjs.code, 0, `require('blekit') failed:\n${cjs.err}`);
    fromPrebuild(cjs.out, dir);
    if (cjs.err) console.log(`# require('blekit') stderr: ${cjs.err.trim().split('\n')[0]}`);

    writeFileSync(join(dir, 'gateway.mjs'), GATEWAY);
    const gw = run(process.execPath, ['gateway.mjs'], dir);
    assert.equal(gw.code, 0, gw.err);
    assert.match(gw.out, /gateway ok/);

    const v = run('npx', ['blekit', '--version'], dir);
    assert.equal(v.code, 0, v.err);
    assert.equal(v.out.trim(), version);
    const spec = run(
      'npx',
      ['blekit', 'serve', 'node_modules/blekit/examples/heart-rate.yaml', '--check'],
      dir,
    );
    assert.equal(spec.code, 0, spec.err);
    assert.match(spec.out, /ok, \d+ services/);

    writeFileSync(join(dir, 'index.ts'), TS);
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const types = join(root, 'node_modules', '@types');
    for (const [module, resolution] of [
      ['nodenext', 'nodenext'],
      ['esnext', 'bundler'],
    ] as const) {
      const t = run(
        process.execPath,
        [
          tsc,
          '--noEmit',
          '--strict',
          '--module',
          module,
          '--moduleResolution',
          resolution,
          '--target',
          'es2022',
          '--typeRoots',
          types,
          '--types',
          'node',
          'index.ts',
        ],
        dir,
      );
      assert.equal(t.code, 0, `tsc ${module}/${resolution}:\n${t.out}${t.err}`);
    }
    const counted = run('npm', ['ls', '--all', '--omit=dev', '--parseable'], dir);
    // The packages whose install scripts once broke consumers' installs must never come back.
    assert.doesNotMatch(counted.out, /node_modules\/(dbus-next|usocket|node-gyp)\b/);
    const du = run('du', ['-sk', 'node_modules'], dir);
    console.log(
      `# installed ${flags.join(' ') || 'with defaults'}: ${counted.out.trim().split('\n').length - 1} packages, ${du.out.split('\t')[0]} KiB`,
    );
  });
}

test('without a usable addon the library warns once with the reason, doctor gives the fix, and the fix works', () => {
  const dir = consumer([]);
  rmSync(join(dir, 'node_modules', 'blekit', 'prebuilds'), { recursive: true });
  const probe = `const b = require('blekit'); console.log(b.nativeAvailable(), b.nativeAvailable());`;
  const r = run(process.execPath, ['-e', probe], dir);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out.trim(), 'false false');
  const warnings = r.err.match(/BLEKIT_NO_NATIVE_ADDON/g) ?? [];
  assert.equal(warnings.length, 1, r.err);
  assert.match(r.err, /prebuilds\/linux-\w+\/blekit_seqpacket\.node is missing/);
  assert.match(r.err, /npm run build:addon/);
  const doctor = run('npx', ['blekit', 'doctor', '--json'], dir);
  const checks = (
    JSON.parse(doctor.out) as { value: { name: string; status: string; fix?: string }[] }
  ).value;
  const native = checks.find((c) => c.name === 'native addon');
  assert.equal(native?.status, 'fail');
  assert.match(native?.fix ?? '', /npm explore blekit -- npm run build:addon/);
  // The fix works, with npm's own node-gyp.
  const build = run('npm', ['explore', 'blekit', '--', 'npm', 'run', 'build:addon'], dir);
  assert.equal(build.code, 0, `${build.out}\n${build.err}`);
  const after = run(
    process.execPath,
    ['-p', `JSON.stringify(require('blekit').nativeStatus())`],
    dir,
  );
  const s = JSON.parse(after.out) as Record<string, unknown>;
  assert.equal(s.loaded, true, String(s.reason));
  assert.equal(s.source, 'source');
});
