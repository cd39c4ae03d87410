// What a soak counts: percentiles of cycle times, and what the central process holds (fds, RSS,
// and on the D-Bus backend its bus signal handlers and match rules), to show nothing grows.
import { readdirSync } from 'node:fs';

interface BusInternals {
  bus?: {
    matches: string[];
    pathHandlers: Map<string, Set<unknown>>;
    ifaceHandlers: Set<unknown>;
    subtreeHandlers: unknown[];
  };
}

export function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;
}

/** Median and p95 of unsorted samples. */
export function spread(samples: number[]): { median: number; p95: number } {
  const s = [...samples].sort((a, b) => a - b);
  return { median: pct(s, 0.5), p95: pct(s, 0.95) };
}

/** fds, RSS (MiB) and, for a backend with a D-Bus connection, its listeners and match rules. */
export function resources(backend: object): Record<string, number> {
  const r: Record<string, number> = {
    fds: readdirSync('/proc/self/fd').length,
    rssMiB: Math.round((process.memoryUsage().rss / 2 ** 20) * 10) / 10,
  };
  const bus = (backend as BusInternals).bus;
  if (bus) {
    let handlers = 0;
    for (const s of bus.pathHandlers.values()) handlers += s.size;
    r.listeners = handlers + bus.ifaceHandlers.size + bus.subtreeHandlers.length;
    r.matches = bus.matches.length;
  }
  return r;
}

/** Fails when fds grew by more than two or any bus listener or match rule was left behind. */
export function growth(
  start: Record<string, number>,
  end: Record<string, number>,
): string | undefined {
  if ((end.fds ?? 0) > (start.fds ?? 0) + 2) return `fds ${start.fds} -> ${end.fds}`;
  if (end.listeners !== start.listeners)
    return `bus listeners ${start.listeners} -> ${end.listeners}`;
  if (end.matches !== start.matches) return `match rules ${start.matches} -> ${end.matches}`;
  return undefined;
}
