// The soak's loop, shared by `npm test`'s short run and `npm run soak`'s matrix: connect ->
// discover -> read -> subscribe -> disconnect, timed per phase, with what the central holds
// sampled at cycles 0/1/50/100/200 and at the end. Prints one summary line and asserts 0
// failures and no growth.
import assert from 'node:assert/strict';
import type { Central, Device } from '../../../src/central/index.js';
import { growth, resources, spread } from './tally.js';

export const PHASES = ['connect', 'discover', 'read', 'subscribe', 'disconnect'] as const;

export interface SoakOptions {
  label: string;
  cycles: number;
  central: Central;
  /** The central's backend, for resources(). */
  backend: object;
  connect: () => Promise<Device>;
  /** The characteristic read each cycle and the bytes it must return. */
  read: { uuid: string; value: Buffer };
  subscribe: string;
  /** Called as a cycle starts (cycle index, its start in ms since the epoch). */
  onCycle?: (i: number, start: number) => void;
  /** Called with each completed cycle's phase durations (ms). */
  onPhases?: (i: number, ms: number[]) => void;
}

export async function soak(o: SoakOptions): Promise<void> {
  const totals: number[] = [];
  const phases: number[][] = PHASES.map(() => []);
  const errors: string[] = [];
  const checkpoints: Record<number, Record<string, number>> = {};
  try {
    for (let i = 0; i < o.cycles; i++) {
      if ([0, 1, 50, 100, 200].includes(i)) checkpoints[i] = resources(o.backend);
      const t = [Date.now()];
      o.onCycle?.(i, t[0] as number);
      try {
        const d = await o.connect();
        t.push(Date.now());
        try {
          await d.discover();
          t.push(Date.now());
          assert.deepEqual(await d.read(o.read.uuid), o.read.value);
          t.push(Date.now());
          await d.subscribe(o.subscribe, () => undefined);
          t.push(Date.now());
        } finally {
          await d.disconnect();
        }
        t.push(Date.now());
        const ms = PHASES.map((_, k) => (t[k + 1] as number) - (t[k] as number));
        ms.forEach((v, k) => phases[k]?.push(v));
        totals.push((t[5] as number) - (t[0] as number));
        o.onPhases?.(i, ms);
      } catch (e) {
        errors.push(`#${i} ${(e as Error).name}: ${(e as Error).message}`);
      }
      // As a user's polling loop (and bleak's soak) would: let bluetoothd settle the disconnect.
      await new Promise((r) => setTimeout(r, 500));
    }
    checkpoints[o.cycles] = resources(o.backend);
  } finally {
    await o.central.stop();
  }
  const { median, p95 } = spread(totals);
  const medians = PHASES.map((p, k) => `${p} ${spread(phases[k] ?? []).median}`).join(', ');
  console.log(
    `# soak ${o.label}: ${errors.length}/${o.cycles} failed; cycle median ${median} ms, ` +
      `p95 ${p95} ms; phase medians (ms): ${medians}`,
  );
  for (const [i, r] of Object.entries(checkpoints))
    console.log(`# soak ${o.label} cycle ${i}: ${JSON.stringify(r)}`);
  if (errors.length) console.log(`# soak failures:\n  ${errors.join('\n  ')}`);
  assert.deepEqual(errors, []);
  // After cycle 0 the backend tracks the device (one property watch): the baseline is cycle 1.
  const start = (checkpoints[1] ?? checkpoints[0]) as Record<string, number>;
  assert.equal(growth(start, checkpoints[o.cycles] as Record<string, number>), undefined);
}
