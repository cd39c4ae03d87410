import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { LabSetupError } from './requirements.js';

/**
 * Modules loaded in this order (facts from LAB.md): virtio and 9p for the
 * shared root; AF_ALG for btvirt's LE crypto; a default RNG before ECDH, or
 * the ECDH self-test fails and the controllers get no SMP at all.
 */
export const MODULES = [
  'virtio_ring',
  'virtio',
  'virtio_pci_legacy_dev',
  'virtio_pci_modern_dev',
  'virtio_pci',
  'netfs',
  'fscache',
  '9pnet',
  '9pnet_virtio',
  '9p',
  'af_alg',
  'algif_hash',
  'algif_skcipher',
  'cmac',
  'ecb',
  'sha512_generic',
  'sha3_generic',
  'ctr',
  'jitterentropy_rng',
  'drbg',
  'ecc',
  'ecdh_generic',
  'rfkill',
  'crc16',
  'bluetooth',
  'hci_vhci',
];

export interface KernelFiles {
  version: string;
  vmlinuz: string;
  initramfs: string;
}

/** Where the lab keeps its kernel and initramfs: $BLEKIT_LAB_CACHE or ~/.cache/blekit/lab. */
export function cacheRoot(): string {
  return process.env.BLEKIT_LAB_CACHE ?? join(homedir(), '.cache', 'blekit', 'lab');
}

function sh(cmd: string, args: string[], cwd?: string): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) throw new LabSetupError(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) {
    throw new LabSetupError(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr.trim()}`);
  }
  return r.stdout;
}

/** The versioned kernel package behind linux-image-amd64, e.g. linux-image-6.1.0-56-amd64. */
function kernelPackage(): string {
  const override = process.env.BLEKIT_LAB_KERNEL_PACKAGE;
  if (override) return override;
  let out = sh('apt-cache', ['depends', 'linux-image-amd64']);
  let m = /Depends:\s*(linux-image-[\w.+-]+)/.exec(out);
  if (!m) {
    // apt lists may not be fetched yet on a fresh machine.
    sh('apt-get', ['update', '-qq']);
    out = sh('apt-cache', ['depends', 'linux-image-amd64']);
    m = /Depends:\s*(linux-image-[\w.+-]+)/.exec(out);
  }
  if (!m?.[1]) throw new LabSetupError('cannot find the kernel package behind linux-image-amd64');
  return m[1];
}

/** Downloads and unpacks (never installs) the kernel package into the cache. */
function ensureKernel(log: (s: string) => void): { version: string; dir: string } {
  const pkg = kernelPackage();
  const dir = join(cacheRoot(), pkg);
  const done = join(dir, '.unpacked');
  if (!existsSync(done)) {
    log(`downloading ${pkg} (first use only)`);
    const tmp = `${dir}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    sh('apt-get', ['download', pkg], tmp);
    const deb = readdirSync(tmp).find((f) => f.endsWith('.deb'));
    if (!deb) throw new LabSetupError(`apt-get download ${pkg} produced no .deb`);
    sh('dpkg-deb', ['-x', deb, 'root'], tmp);
    rmSync(join(tmp, deb));
    writeFileSync(join(tmp, '.unpacked'), pkg);
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
  }
  const versions = readdirSync(join(dir, 'root', 'lib', 'modules'));
  const version = versions[0];
  if (!version) throw new LabSetupError(`no modules in ${dir}`);
  return { version, dir };
}

function findModule(modRoot: string, name: string): string {
  const found = sh('find', [modRoot, '-name', `${name}.ko`, '-o', '-name', `${name}.ko.xz`])
    .split('\n')
    .filter(Boolean);
  const path = found[0];
  if (!path) throw new LabSetupError(`kernel module ${name} not found under ${modRoot}`);
  return path;
}

/** Builds (or reuses) the busybox initramfs holding stage 1 and the modules. */
function ensureInitramfs(kernel: { version: string; dir: string }, initScript: string): string {
  const busybox = '/bin/busybox';
  const hash = createHash('sha256')
    .update(readFileSync(initScript))
    .update(MODULES.join(','))
    .update(readFileSync(busybox))
    .digest('hex')
    .slice(0, 16);
  const out = join(kernel.dir, `initramfs-${hash}.cpio.gz`);
  if (existsSync(out)) return out;
  const work = join(kernel.dir, `initramfs-work-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  for (const d of ['bin', 'proc', 'sys', 'dev', 'modules'])
    mkdirSync(join(work, d), { recursive: true });
  copyFileSync(busybox, join(work, 'bin', 'busybox'));
  sh('ln', ['-s', 'busybox', join(work, 'bin', 'sh')]);
  copyFileSync(initScript, join(work, 'init'));
  sh('chmod', ['755', join(work, 'init'), join(work, 'bin', 'busybox')]);
  const modRoot = join(kernel.dir, 'root', 'lib', 'modules', kernel.version);
  for (const m of MODULES) {
    const src = findModule(modRoot, m);
    const dst = join(work, 'modules', `${m}.ko`);
    if (src.endsWith('.xz')) writeFileSync(dst, sh('xz', ['-dc', src]));
    else copyFileSync(src, dst);
  }
  writeFileSync(join(work, 'modules.order'), MODULES.join('\n') + '\n');
  const tmp = `${out}.tmp-${process.pid}`;
  const r = spawnSync(
    'sh',
    ['-c', 'find . | cpio -o -H newc --quiet | gzip -1 > "$1"', 'sh', tmp],
    {
      cwd: work,
      encoding: 'utf8',
    },
  );
  if (r.status !== 0) throw new LabSetupError(`building the initramfs failed: ${r.stderr}`);
  renameSync(tmp, out);
  rmSync(work, { recursive: true, force: true });
  return out;
}

/**
 * The Debian kernel, its modules and an initramfs running `initScript`, downloaded and built
 * into cacheRoot() on first use and reused after; `log` hears each step.
 * @throws LabSetupError when a download or build step fails.
 */
export function ensureKernelFiles(initScript: string, log: (s: string) => void): KernelFiles {
  const kernel = ensureKernel(log);
  const boot = join(kernel.dir, 'root', 'boot');
  const vmlinuz = readdirSync(boot).find((f) => f.startsWith('vmlinuz-'));
  if (!vmlinuz) throw new LabSetupError(`no vmlinuz in ${boot}`);
  return {
    version: kernel.version,
    vmlinuz: join(boot, vmlinuz),
    initramfs: ensureInitramfs(kernel, initScript),
  };
}
