import type { CentralBackend, CentralBackendFactory } from '../central/index.js';
import { InvalidArgumentError, NotSupportedError } from '../core/index.js';

/** The backends `--backend` offers, in the order help lists them. */
export const BACKEND_NAMES = ['dbus', 'gatttool', 'bgapi'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

/** Options a backend may use; each takes what applies to it. */
export interface BackendLoadOptions {
  /** Serial port of a BGAPI dongle (otherwise the backend looks for one). */
  port?: string;
}

type Ctor = new (options?: Record<string, unknown>) => CentralBackend;

/**
 * Where each backend lives and the class it exports. Modules load on demand, so the CLI starts
 * fast and a backend still being written (or one whose native parts failed) breaks only itself.
 */
const MODULES: Record<BackendName, { path: string; exportName: string }> = {
  dbus: { path: '../backends/dbus/index.js', exportName: 'DbusBackend' },
  gatttool: { path: '../backends/gatttool/index.js', exportName: 'GatttoolBackend' },
  bgapi: { path: '../backends/bgapi/index.js', exportName: 'BgapiBackend' },
};

function isBackendClass(x: unknown): x is Ctor {
  const proto = (x as { prototype?: Record<string, unknown> } | null)?.prototype;
  return (
    typeof x === 'function' &&
    typeof proto?.startScan === 'function' &&
    typeof proto?.connect === 'function'
  );
}

/** Extra loaders (tests register a fake backend here). */
const extra = new Map<string, () => Promise<CentralBackendFactory>>();

export function registerBackend(name: string, load: () => Promise<CentralBackendFactory>): void {
  extra.set(name, load);
}

export function isBackendName(name: string): name is BackendName {
  return (BACKEND_NAMES as readonly string[]).includes(name);
}

/**
 * The factory for a backend. InvalidArgumentError for an unknown name, NotSupportedError when
 * the backend is not in this build yet (its module or class is missing).
 */
export async function loadBackend(
  name: string,
  options: BackendLoadOptions = {},
): Promise<CentralBackendFactory> {
  const custom = extra.get(name);
  if (custom) return custom();
  if (!isBackendName(name)) {
    throw new InvalidArgumentError(
      `Unknown backend "${name}" (choose ${BACKEND_NAMES.join(', ')})`,
    );
  }
  const { path, exportName } = MODULES[name];
  let mod: Record<string, unknown>;
  try {
    mod = (await import(path)) as Record<string, unknown>;
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code !== 'ERR_MODULE_NOT_FOUND') throw e;
    throw new NotSupportedError(`The ${name} backend is not available in this build yet`, {
      cause: e,
    });
  }
  const named = mod[exportName];
  const cls = isBackendClass(named) ? named : Object.values(mod).find(isBackendClass);
  if (!cls) {
    throw new NotSupportedError(
      `The ${name} backend is not available in this build yet (no backend class exported)`,
    );
  }
  const args: Record<string, unknown> = {};
  if (name === 'bgapi' && options.port !== undefined) args.port = options.port;
  return () => new cls(args);
}
