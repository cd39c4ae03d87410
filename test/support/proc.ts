import { spawn } from 'node:child_process';

export interface ProcResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a program (argument array, no shell) and collects its output, killing it after timeoutMs. */
export function run(cmd: string, args: string[], timeoutMs = 30_000): Promise<ProcResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * btmgmt prints nothing unless it has a terminal, so it runs under script(1).
 * The arguments are ours (fixed subcommands and validated indexes), never user text.
 */
export async function btmgmt(args: string[], timeoutMs = 30_000): Promise<string> {
  for (const a of args) {
    if (!/^[\w:.-]+$/.test(a)) throw new Error(`refusing btmgmt argument ${JSON.stringify(a)}`);
  }
  const r = await run('script', ['-qec', `btmgmt ${args.join(' ')}`, '/dev/null'], timeoutMs);
  return r.stdout.replace(/\r/g, '');
}

export function assertInLab(): void {
  if (process.env.BLEKIT_IN_LAB !== '1') {
    throw new Error(
      'lab tests run inside the lab: npm run test:lab (or blekit lab run -- node --test ...)',
    );
  }
}

export const HCI0_ADDR = '00:AA:01:00:00:00';
export const HCI1_ADDR = '00:AA:01:01:00:01';
