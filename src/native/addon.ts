/**
 * Loading blekit's native addon (build/Release/blekit_seqpacket.node): fd sockets Node lacks
 * (SOCK_SEQPACKET pairs, HCI and unix stream sockets with fd passing), watched by its poller.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NotSupportedError } from '../core/errors.js';

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

let addon: Addon | null | undefined;
let loadError: string | undefined;

function load(): Addon | null {
  if (addon !== undefined) return addon;
  const here = dirname(fileURLToPath(import.meta.url));
  // dist/src/native -> <package>/build, and src/native -> <package>/build.
  const candidates = [join(here, '..', '..', '..', 'build'), join(here, '..', '..', 'build')].map(
    (b) => join(b, 'Release', 'blekit_seqpacket.node'),
  );
  const path = candidates.find((p) => existsSync(p));
  try {
    if (!path) throw new Error(`not built (looked for ${candidates.join(', ')})`);
    addon = createRequire(import.meta.url)(path) as Addon;
  } catch (err) {
    loadError = err instanceof Error ? err.message : String(err);
    addon = null;
  }
  return addon;
}

/** True when the native addon is built and loads; the fd fast paths depend on it. */
export function nativeAvailable(): boolean {
  return load() !== null;
}

/** @internal for sibling modules that open other sockets. */
export function need(): Addon {
  const a = load();
  if (!a) {
    throw new NotSupportedError(
      `blekit's native fd addon is unavailable (${loadError}); run "npm rebuild blekit" with a C compiler`,
    );
  }
  return a;
}
