import { InvalidArgumentError } from '../../core/index.js';
import { describeValue } from '../../core/describe.js';

function intIn(v: unknown, lo: number, hi: number, what: string): void {
  if (v === undefined) return;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) {
    throw new InvalidArgumentError(
      `${what} must be an integer ${lo}..${hi}, got ${describeValue(v)}`,
    );
  }
}

/** Scan timing limits of the LE Set Scan Parameters command (units of 0.625 ms). */
export function validateScanParameters(o: {
  scanInterval?: number;
  scanWindow?: number;
  discoverMode?: string;
}): void {
  intIn(o.scanInterval, 4, 0x4000, 'scanInterval');
  intIn(o.scanWindow, 4, 0x4000, 'scanWindow');
  if (o.scanInterval !== undefined && o.scanWindow !== undefined && o.scanWindow > o.scanInterval) {
    throw new InvalidArgumentError('scanWindow must not exceed scanInterval');
  }
  if (
    o.discoverMode !== undefined &&
    !['limited', 'generic', 'observation'].includes(o.discoverMode)
  ) {
    throw new InvalidArgumentError(
      `discoverMode must be limited, generic or observation: ${o.discoverMode}`,
    );
  }
}

/** Connection parameter limits of the Core spec (Vol 4 Part E 7.8.12). */
export function validateConnectionParameters(o: {
  intervalMin?: number;
  intervalMax?: number;
  supervisionTimeout?: number;
  latency?: number;
}): void {
  intIn(o.intervalMin, 6, 3200, 'intervalMin');
  intIn(o.intervalMax, 6, 3200, 'intervalMax');
  intIn(o.supervisionTimeout, 10, 3200, 'supervisionTimeout');
  intIn(o.latency, 0, 499, 'latency');
  if (o.intervalMin !== undefined && o.intervalMax !== undefined && o.intervalMin > o.intervalMax) {
    throw new InvalidArgumentError('intervalMin must not exceed intervalMax');
  }
}
