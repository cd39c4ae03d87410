// The host side of a bench that runs inside the lab: boots the VM, shows the script's progress
// lines ('# ...') as they come, and returns its JSON records, one per line.
import { existsSync, readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { runLab, type LabOptions } from '../lab/index.js';
import { RECORD_MARK } from './protocol.js';

export async function labRecords(
  options: Pick<LabOptions, 'command' | 'cwd' | 'controllers' | 'timeoutSec' | 'env'>,
  /** The file in the job share the script appends its records to. */
  recordsFile: string,
): Promise<string[]> {
  let text = '';
  let partial = '';
  const res = await runLab({
    ...options,
    keep: true,
    output: (b) => {
      const s = b.toString('latin1');
      text += s;
      // Progress lines only (whole lines: chunks split them); the records go to the JSON.
      const lines = (partial + s).split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) if (l.startsWith('# ')) process.stderr.write(`${l}\n`);
    },
  });
  if (res.runDir) process.stderr.write(`bench: lab logs and records kept in ${res.runDir}\n`);
  if (res.exitCode !== 0) {
    process.stderr.write(`bench: the lab run exited ${res.exitCode}; partial results follow\n`);
  }
  // The records file in the job share is immune to console garbling; prefer it.
  const file = res.runDir ? `${res.runDir}/${recordsFile}` : '';
  if (file && existsSync(file)) return readFileSync(file, 'utf8').split('\n').filter(Boolean);
  return text
    .split('\n')
    .map((l) => l.replace(/\r$/, ''))
    .filter((l) => l.startsWith(RECORD_MARK))
    .map((l) => l.slice(RECORD_MARK.length));
}

/** The host the lab ran on, for a bench's JSON. */
export function hostMachine(): { cpus: number; cpuModel?: string; memMiB: number } {
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    memMiB: Math.round(totalmem() / 1048576),
  };
}
