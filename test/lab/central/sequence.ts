// What a received stream of sequence numbers 0..total-1 says: lost, duplicated, out of order.

export interface SequenceReport {
  received: number;
  /** Numbers in 0..total-1 that never arrived. */
  missing: number[];
  /** Numbers that arrived more than once (each listed once). */
  duplicates: number[];
  /** Numbers outside 0..total-1. */
  unexpected: number[];
  /** Values that arrived after a larger one had already arrived. */
  outOfOrder: number;
}

export function sequenceReport(values: readonly number[], total: number): SequenceReport {
  const seen = new Uint8Array(total);
  const duplicates = new Set<number>();
  const unexpected: number[] = [];
  let max = -1;
  let outOfOrder = 0;
  for (const v of values) {
    if (!Number.isInteger(v) || v < 0 || v >= total) {
      unexpected.push(v);
      continue;
    }
    if (seen[v]) duplicates.add(v);
    seen[v] = 1;
    if (v < max) outOfOrder++;
    else max = v;
  }
  const missing: number[] = [];
  for (let i = 0; i < total; i++) if (!seen[i]) missing.push(i);
  return {
    received: values.length,
    missing,
    duplicates: [...duplicates],
    unexpected,
    outOfOrder,
  };
}
