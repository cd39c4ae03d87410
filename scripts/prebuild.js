#!/usr/bin/env node
// Builds the native addon (src/native/seqpacket.c) for every Linux target the package ships:
// prebuilds/linux-{x64,arm64,arm}/blekit_seqpacket.node, with Debian's gcc and cross compilers.
// Runs before every `npm run build` (npm's pre-hook), and does nothing while the outputs are
// newer than their inputs.
//
// Why plain gcc and not prebuildify/node-gyp: the addon is one C file against Node-API and
// libuv, so one compiler call per target is the whole build. node-gyp would add python, make
// and a download of Node's headers per target; the headers that came with this node
// (<prefix>/include/node) serve every architecture, because Node-API is ABI-stable and the
// addon's symbols are resolved by the node that loads it. Flags follow node-gyp's (large file
// offsets matter on 32-bit ARM, where node's libuv uses 64-bit off_t).
//
// Usage: node scripts/prebuild.js [--force]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { arch } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const SOURCE = join(root, 'src', 'native', 'seqpacket.c');
const ADDON = 'blekit_seqpacket.node';

/**
 * Node's arch name -> the Debian compiler that targets it from any host, and its packages (the
 * target's libc headers are only a recommendation of the compiler, so they are named too).
 */
const TARGETS = {
  x64: {
    cc: 'x86_64-linux-gnu-gcc',
    pkgs: ['gcc-x86-64-linux-gnu', 'libc6-dev-amd64-cross'],
    flags: [],
  },
  arm64: {
    cc: 'aarch64-linux-gnu-gcc',
    pkgs: ['gcc-aarch64-linux-gnu', 'libc6-dev-arm64-cross'],
    flags: [],
  },
  // Debian's armhf baseline (Raspberry Pi 2 and later): ARMv7-A, VFPv3-D16, hard-float ABI.
  arm: {
    cc: 'arm-linux-gnueabihf-gcc',
    pkgs: ['gcc-arm-linux-gnueabihf', 'libc6-dev-armhf-cross'],
    flags: ['-march=armv7-a', '-mfpu=vfpv3-d16', '-mfloat-abi=hard'],
  },
};
const FLAGS = [
  '-O2',
  '-fPIC',
  '-pthread',
  '-shared',
  '-s',
  '-Wall',
  '-Wextra',
  '-Werror',
  '-Wno-unused-parameter',
  '-D_LARGEFILE_SOURCE',
  '-D_FILE_OFFSET_BITS=64',
  // The oldest Node-API level the addon needs; node 18 (Debian 12's) has it.
  '-DNAPI_VERSION=8',
];

function fail(message) {
  console.error(`prebuild: ${message}`);
  process.exit(1);
}

/**
 * The host's own gcc builds its own arch (Debian's x86_64-linux-gnu-gcc on an x64 host belongs
 * to gcc itself; the cross package of the same name cannot be installed beside it).
 */
function compilerFor(target) {
  const t = TARGETS[target];
  return target === arch() ? { ...t, cc: 'gcc', pkgs: ['gcc', 'libc6-dev'] } : t;
}

function installed(pkg) {
  const r = spawnSync('dpkg-query', ['-W', '-f=${db:Status-Abbrev}', pkg], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.startsWith('ii');
}

/** Installs missing compilers as root (as the lab installs its packages), else names them. */
function ensureCompilers(compilers) {
  const missing = [...new Set(compilers.flatMap((c) => c.pkgs))].filter((p) => !installed(p));
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) {
    fail(`missing compilers; install them as root: apt-get install -y ${missing.join(' ')}`);
  }
  console.log(`prebuild: installing ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [
    ['update', '-qq'],
    ['install', '-y', '-qq', '--no-install-recommends', ...missing],
  ]) {
    const r = spawnSync('apt-get', args, { stdio: 'inherit', env });
    if (r.status !== 0) fail(`apt-get ${args.join(' ')} failed`);
  }
}

function nodeHeaders() {
  const dir = join(dirname(process.execPath), '..', 'include', 'node');
  if (!existsSync(join(dir, 'node_api.h')) || !existsSync(join(dir, 'uv.h'))) {
    fail(`Node's headers (node_api.h, uv.h) are not in ${dir}; use a node that ships them`);
  }
  return dir;
}

function newer(a, b) {
  return existsSync(a) && statSync(a).mtimeMs >= statSync(b).mtimeMs;
}

const force = process.argv.includes('--force');
const outputs = Object.keys(TARGETS).map((t) => ({
  target: t,
  out: join(root, 'prebuilds', `linux-${t}`, ADDON),
}));
const stale = outputs.filter(
  (o) => force || !newer(o.out, SOURCE) || !newer(o.out, fileURLToPath(import.meta.url)),
);
if (stale.length > 0) {
  const compilers = stale.map((o) => compilerFor(o.target));
  ensureCompilers(compilers);
  const include = nodeHeaders();
  stale.forEach((o, i) => {
    const c = compilers[i];
    mkdirSync(dirname(o.out), { recursive: true });
    const tmp = `${o.out}.tmp`;
    const args = [...FLAGS, ...c.flags, `-I${include}`, SOURCE, '-o', tmp];
    const r = spawnSync(c.cc, args, { stdio: 'inherit' });
    if (r.status !== 0) fail(`${c.cc} failed for linux-${o.target}`);
    renameSync(tmp, o.out);
    console.log(`prebuild: linux-${o.target} ${statSync(o.out).size} bytes (${c.cc})`);
  });
}
