import type { CentralBackendFactory } from '../central/index.js';
import { InvalidArgumentError } from '../core/index.js';

/** The backends `--backend` offers, in the order help lists them. */
export const BACKEND_NAMES = ['dbus', 'gatttool', 'bgapi'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

/** Options a backend may use; each takes what applies to it. */
export interface BackendLoadOptions {
  /** Serial port of a BGAPI dongle (otherwise the backend looks for one). */
  port?: string;
}

/**
 * Each backend's module loads on demand, so the CLI starts fast and a backend whose native parts
 * fail breaks only itself. The specifiers are literals so the bundler (scripts/bundle.js) sees them.
 */
const LOADERS: Record<
  BackendName,
  (options: BackendLoadOptions) => Promise<CentralBackendFactory>
> = {
  dbus: async () => {
    const { DbusBackend } = await import('../backends/dbus/index.js');
    return () => new DbusBackend();
  },
  gatttool: async () => {
    const { GatttoolBackend } = await import('../backends/gatttool/index.js');
    return () => new GatttoolBackend();
  },
  bgapi: async ({ port }) => {
    const { BgapiBackend } = await import('../backends/bgapi/index.js');
    return () => new BgapiBackend(port === undefined ? {} : { port });
  },
};

/** Extra loaders (tests register a fake backend here). */
const extra = new Map<string, () => Promise<CentralBackendFactory>>();

export function registerBackend(name: string, load: () => Promise<CentralBackendFactory>): void {
  extra.set(name, load);
}

export function isBackendName(name: string): name is BackendName {
  return (BACKEND_NAMES as readonly string[]).includes(name);
}

/** The factory for a backend; InvalidArgumentError for an unknown name. */
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
  return LOADERS[name](options);
}
