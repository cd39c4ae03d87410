// A live, decoded btmon beside a lab test, so the test can check which PDUs crossed the link.
// btmon shows every controller: a PDU between hci0 and hci1 appears twice (sent and received).
import { spawn } from 'node:child_process';
import { orAfter } from './within.js';

export interface BtmonCapture {
  /** Stops btmon (SIGINT, then SIGKILL after 5 s) and resolves with the decoded trace. */
  stop(): Promise<string>;
}

export async function startBtmon(): Promise<BtmonCapture> {
  // Line-buffered: into a pipe btmon's stdio holds up to a block, and a btmon that does not
  // stop on SIGINT in time loses it (seen: a trace ending seconds before the PDU looked for).
  const mon = spawn('stdbuf', ['-oL', 'btmon'], { stdio: ['ignore', 'pipe', 'ignore'] });
  let trace = '';
  mon.stdout.on('data', (b: Buffer) => (trace += b.toString()));
  mon.on('error', () => undefined);
  const closed = new Promise<void>((r) => mon.on('close', () => r()));
  // btmon needs a moment to open the monitor socket; what happens before is not recorded.
  await new Promise((r) => setTimeout(r, 1_000));
  return {
    stop: async () => {
      mon.kill('SIGINT');
      await orAfter(closed, 5_000, () => undefined);
      if (mon.exitCode === null && mon.signalCode === null) mon.kill('SIGKILL');
      return trace;
    },
  };
}

/** Lines of the trace that contain `text`. */
export function countLines(trace: string, text: string): number {
  return trace.split('\n').filter((l) => l.includes(text)).length;
}
