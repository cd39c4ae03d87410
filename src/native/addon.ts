/**
 * Loading blekit's native addon: fd sockets Node lacks (SOCK_SEQPACKET pairs, HCI and unix
 * stream sockets with fd passing), watched by its poller.
 *
 * The package ships it prebuilt (prebuilds/linux-{x64,arm64,arm}, from scripts/prebuild.js), so
 * installing runs no script and needs no compiler. Where no prebuild fits, a source build in
 * build/Release (`npm run build:addon` in the package, node-gyp over binding.gyp) is used.
 * Why this loader and not node-gyp-build: it is a few lines, adds no dependency, and it keeps
 * each reason a candidate failed, which the warning and `blekit doctor` pass on to the user.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NotSupportedError } from '../core/errors.js';
import { log } from '../core/log.js';

export interface Addon {
  socketPair(): [number, number];
  open(fd: number, cb: (kind: number, payload: unknown) => void, bufferSize?: number): unknown;
  write(handle: unknown, buf: Uint8Array): number;
  writeMany(handle: unknown, bufs: Uint8Array[]): number;
  wantWritable(handle: unknown): void;
  ref(handle: unknown, on: boolean): void;
  close(handle: unknown): void;
  closeFd(fd: number): void;
  hciControlSocket(): number;
}

/** Where the addon came from, or why it is missing and how to get it. */
export interface NativeStatus {
  loaded: boolean;
  /** 'prebuild': shipped in the package for this platform; 'source': built here from source. */
  source?: 'prebuild' | 'source';
  /** The .node file that loaded. */
  path?: string;
  /** Why it did not load: every place tried and what went wrong there. */
  reason?: string;
  /** What the user can do about it. */
  fix?: string;
}

const FILE = 'blekit_seqpacket.node';
export const NATIVE_FIX =
  'build it from source (needs python3, make and a C compiler): npm explore blekit -- npm run build:addon';

let addon: Addon | null | undefined;
let status: NativeStatus = { loaded: false };

/** The package directory: this file is in <package>/dist/src/native, or <package>/src/native. */
function packageRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const up3 = join(here, '..', '..', '..');
  return existsSync(join(up3, 'package.json')) ? up3 : join(here, '..', '..');
}

/** The prebuild directory for this process, or why none fits. */
function prebuildFor(): { dir: string } | { why: string } {
  const platform = `${process.platform}-${process.arch}`;
  const shipped = 'blekit ships linux-x64, linux-arm64 and linux-arm (ARMv7, hard-float)';
  if (!['linux-x64', 'linux-arm64', 'linux-arm'].includes(platform)) {
    return { why: `no prebuilt addon for ${platform} (${shipped})` };
  }
  if (process.arch === 'arm') {
    const v = process.config.variables as Record<string, unknown>;
    if (Number(v['arm_version']) < 7 || v['arm_float_abi'] !== 'hard') {
      return {
        why: `no prebuilt addon for ARMv${String(v['arm_version'])} ${String(v['arm_float_abi'])}-float (${shipped})`,
      };
    }
  }
  return { dir: platform };
}

function load(): Addon | null {
  if (addon !== undefined) return addon;
  const root = packageRoot();
  const require = createRequire(import.meta.url);
  const pre = prebuildFor();
  const candidates: { source: 'prebuild' | 'source'; path: string }[] = [];
  const reasons: string[] = [];
  if ('dir' in pre)
    candidates.push({ source: 'prebuild', path: join(root, 'prebuilds', pre.dir, FILE) });
  else reasons.push(pre.why);
  candidates.push({ source: 'source', path: join(root, 'build', 'Release', FILE) });
  for (const c of candidates) {
    const shown = relative(root, c.path);
    if (!existsSync(c.path)) {
      reasons.push(c.source === 'prebuild' ? `${shown} is missing` : `no source build (${shown})`);
      continue;
    }
    try {
      addon = require(c.path) as Addon;
      status = { loaded: true, source: c.source, path: c.path };
      return addon;
    } catch (err) {
      reasons.push(`${shown} does not load: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  addon = null;
  status = { loaded: false, reason: reasons.join('; '), fix: NATIVE_FIX };
  log('native').warn(
    'BLEKIT_NO_NATIVE_ADDON',
    `blekit's native addon is unavailable, so it uses slower D-Bus paths and cannot open mgmt, ` +
      `HCI or seqpacket sockets: ${status.reason}. To fix, ${NATIVE_FIX}`,
  );
  return addon;
}

/** True when the native addon loads; the fd fast paths depend on it. */
export function nativeAvailable(): boolean {
  return load() !== null;
}

/** Whether the native addon loaded, from where, or why not and how to fix it. */
export function nativeStatus(): NativeStatus {
  load();
  return { ...status };
}

/** @internal for sibling modules that open other sockets. */
export function need(): Addon {
  const a = load();
  if (!a) {
    throw new NotSupportedError(
      `blekit's native addon is unavailable (${status.reason}); ${NATIVE_FIX}`,
    );
  }
  return a;
}
