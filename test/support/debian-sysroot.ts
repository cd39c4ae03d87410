/**
 * Debian's own node for a foreign architecture, runnable here under qemu-user: the nodejs
 * package and every package it needs, downloaded with apt-get and unpacked (never installed)
 * into a sysroot under ~/.cache/blekit/sysroot/<arch>. Root installs what is missing the way
 * the lab does (qemu-user-static, the foreign architecture's package lists); anyone else is
 * told the exact commands.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface ForeignNode {
  /** Debian's name of the architecture: arm64, armhf. */
  debArch: string;
  /** The qemu-user binary that runs it. */
  qemu: string;
  /** The unpacked packages; qemu's -L prefix. */
  sysroot: string;
  /** The node binary inside the sysroot. */
  node: string;
}

const QEMU: Record<string, string> = { arm64: 'qemu-aarch64-static', armhf: 'qemu-arm-static' };
// Dependencies that only configure or document a package, and nodejs:any back-references.
const SKIP = new Set(['debconf', 'cdebconf', 'gcc-12-base', 'ca-certificates', 'nodejs']);

function sh(cmd: string, args: string[], cwd?: string): string {
  const r = spawnSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr.trim()}`);
  return r.stdout;
}

function asRoot(what: string, commands: string[][]): void {
  if (process.getuid?.() !== 0) {
    throw new Error(`${what}; as root run:\n${commands.map((c) => `  ${c.join(' ')}`).join('\n')}`);
  }
  for (const [cmd, ...args] of commands) sh(cmd as string, args);
}

function ensureHost(debArch: string): void {
  if (spawnSync(QEMU[debArch] as string, ['--version']).status !== 0) {
    asRoot(`${QEMU[debArch]} is missing`, [
      ['apt-get', 'update', '-qq'],
      ['apt-get', 'install', '-y', '-qq', '--no-install-recommends', 'qemu-user-static'],
    ]);
  }
  if (!sh('dpkg', ['--print-foreign-architectures']).split('\n').includes(debArch)) {
    asRoot(`apt has no ${debArch} package lists`, [
      ['dpkg', '--add-architecture', debArch],
      ['apt-get', 'update', '-qq'],
    ]);
  }
}

/** Package name -> the version apt would install, following Depends/Pre-Depends from nodejs. */
function closure(debArch: string): Map<string, string> {
  const seen = new Map<string, string>();
  const todo = ['nodejs'];
  while (todo.length > 0) {
    const name = todo.pop() as string;
    if (seen.has(name)) continue;
    // Architecture-independent packages (node-acorn...) are asked for without a suffix.
    let info = spawnSync('apt-cache', ['show', '--no-all-versions', `${name}:${debArch}`], {
      encoding: 'utf8',
    });
    if (info.status !== 0 || info.stdout.trim() === '') {
      info = spawnSync('apt-cache', ['show', '--no-all-versions', name], { encoding: 'utf8' });
    }
    const field = (f: string): string =>
      new RegExp(`^${f}: (.*)$`, 'm').exec(info.stdout)?.[1] ?? '';
    const version = field('Version');
    if (!version) throw new Error(`apt knows no ${name} for ${debArch}: run apt-get update`);
    seen.set(name, field('Architecture') === 'all' ? name : `${name}:${debArch}`);
    const deps = [field('Pre-Depends'), field('Depends')].join(',').split(',');
    for (const d of deps) {
      // The first alternative is what apt picks on a plain system.
      const dep = d
        .split('|')[0]
        ?.trim()
        .split(/[\s(:]/)[0];
      if (dep && !SKIP.has(dep) && !seen.has(dep)) todo.push(dep);
    }
  }
  return seen;
}

/** Debian's node for debArch, unpacked once and then reused. */
export function foreignNode(debArch: string, log: (s: string) => void = () => {}): ForeignNode {
  const qemu = QEMU[debArch];
  if (!qemu) throw new Error(`no qemu-user known for ${debArch}`);
  ensureHost(debArch);
  const dir = join(
    process.env.BLEKIT_SYSROOT_CACHE ?? join(homedir(), '.cache', 'blekit', 'sysroot'),
    debArch,
  );
  const sysroot = join(dir, 'root');
  const node = join(sysroot, 'usr', 'bin', 'node');
  if (!existsSync(join(dir, '.unpacked'))) {
    const pkgs = [...closure(debArch).values()];
    log(`downloading ${pkgs.length} ${debArch} packages: ${pkgs.join(' ')}`);
    const tmp = `${dir}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(join(tmp, 'debs'), { recursive: true });
    sh('apt-get', ['download', '-qq', ...pkgs], join(tmp, 'debs'));
    for (const deb of readdirSync(join(tmp, 'debs'))) {
      sh('dpkg-deb', ['-x', join(tmp, 'debs', deb), join(tmp, 'root')]);
    }
    rmSync(join(tmp, 'debs'), { recursive: true });
    writeFileSync(join(tmp, '.unpacked'), pkgs.join('\n'));
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
  }
  if (!existsSync(node)) throw new Error(`${node} is missing from the unpacked nodejs package`);
  return { debArch, qemu, sysroot, node };
}
