import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { cacheRoot } from './kernel.js';
import { LabSetupError } from './requirements.js';

/**
 * A machine-wide limit on concurrent lab VMs, one per core. Three TCG VMs on two cores starved
 * each other until btvirt answered the kernel's HCI commands too late and a controller failed
 * to initialise; lab tests spend much of their time waiting on the radio, so one per core
 * keeps the cores busy without that. A slot is a directory made atomically, holding its owner's
 * pid; a slot whose owner is gone is taken over.
 */
export function maxVms(): number {
  const env = Number(process.env.BLEKIT_LAB_MAX_VMS);
  if (Number.isInteger(env) && env > 0) return env;
  return Math.max(1, availableParallelism());
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function tryTake(dir: string): boolean {
  try {
    mkdirSync(dir);
  } catch {
    let owner = NaN;
    try {
      owner = Number(readFileSync(join(dir, 'pid'), 'utf8'));
    } catch {
      // Being created right now, or left empty by a crash: only reclaim the latter.
    }
    if (Number.isInteger(owner) && owner > 0 && alive(owner)) return false;
    if (!Number.isInteger(owner)) return false;
    rmSync(dir, { recursive: true, force: true });
    try {
      mkdirSync(dir);
    } catch {
      return false;
    }
  }
  writeFileSync(join(dir, 'pid'), String(process.pid));
  return true;
}

export interface Slot {
  release(): void;
}

/** Waits for a free VM slot, reporting while it waits; fails after waitSec. */
export async function acquireSlot(log: (s: string) => void, waitSec = 45 * 60): Promise<Slot> {
  const root = join(cacheRoot(), 'slots');
  mkdirSync(root, { recursive: true });
  const n = maxVms();
  const t0 = Date.now();
  let told = 0;
  while (true) {
    for (let i = 0; i < n; i++) {
      const dir = join(root, `vm-${i}`);
      if (tryTake(dir)) {
        return { release: () => rmSync(dir, { recursive: true, force: true }) };
      }
    }
    const waited = (Date.now() - t0) / 1000;
    if (waited > waitSec) {
      throw new LabSetupError(
        `no lab slot became free in ${waitSec}s (${n} VM(s) at a time; BLEKIT_LAB_MAX_VMS changes it)`,
      );
    }
    if (waited - told >= 30 || told === 0) {
      log(
        `waiting for a lab slot (${n} VM(s) at a time on this machine), ${waited.toFixed(0)}s so far`,
      );
      told = Math.max(waited, 0.001);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}
