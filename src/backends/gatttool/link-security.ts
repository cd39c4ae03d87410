/**
 * Whether the kernel has encrypted the LE link to a peer, from `hcitool con` (the HCIGETCONNLIST
 * ioctl, whose link mode carries ENCRYPT). gatttool itself cannot say: its `sec-level` prints
 * the level it was last asked for, not the one the link has, and it prints nothing when it
 * raises security by itself after an Insufficient Encryption answer.
 */
import { spawn } from 'node:child_process';
import type { SecurityLevel } from '../../central/types.js';
import { errnoOf } from './errors.js';

/** Parses `hcitool con` output: true/false for the link to `address`, undefined when absent. */
export function encryptedIn(output: string, address: string): boolean | undefined {
  for (const line of output.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields[1] !== 'LE' || fields[2]?.toUpperCase() !== address) continue;
    const lm = fields.indexOf('lm');
    return lm >= 0 && fields.slice(lm + 1).includes('ENCRYPT');
  }
  return undefined;
}

/**
 * Asks `hcitool -i <adapter> con` (argument array, no shell) whether the link to `address` is
 * encrypted. Undefined when hcitool is missing, fails, or takes longer than `timeoutMs`: the
 * caller then knows nothing and must not act on it.
 */
export function linkEncrypted(
  adapter: string,
  address: string,
  timeoutMs: number,
  hcitool = 'hcitool',
): Promise<boolean | undefined> {
  return new Promise((resolve) => {
    let out = '';
    const child = spawn(hcitool, ['-i', adapter, 'con'], { stdio: ['ignore', 'pipe', 'ignore'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (s: string) => (out += s));
    child.once('error', () => {
      clearTimeout(timer);
      resolve(undefined);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve(code === 0 ? encryptedIn(out, address) : undefined);
    });
  });
}

/** The level a `--sec-level=X` / `-l X` among gatttool options sets; 'low' without one. */
export function levelInOptions(options: readonly string[]): SecurityLevel {
  let level: SecurityLevel = 'low';
  for (let i = 0; i < options.length; i++) {
    const o = options[i] as string;
    const v = o.startsWith('--sec-level=')
      ? o.slice('--sec-level='.length)
      : o === '--sec-level' || o === '-l'
        ? options[i + 1]
        : undefined;
    if (v === 'low' || v === 'medium' || v === 'high') level = v;
  }
  return level;
}

/** gatttool options with any security level replaced by `level`. */
export function withLevel(options: readonly string[], level: SecurityLevel): string[] {
  const out: string[] = [];
  for (let i = 0; i < options.length; i++) {
    const o = options[i] as string;
    if (o.startsWith('--sec-level=')) continue;
    if (o === '--sec-level' || o === '-l') {
      i++;
      continue;
    }
    out.push(o);
  }
  return [...out, `--sec-level=${level}`];
}

/**
 * The kernel refuses BT_SECURITY with EINVAL when the link already has that level (its
 * smp_conn_security() reports "sufficient"), the level itself having been checked before: for
 * `sec-level` on a live link that means there is nothing to do.
 */
export function alreadySecure(message: string): boolean {
  return /BT_SECURITY/.test(message) && errnoOf(message) === 22;
}

const RANK: Record<SecurityLevel, number> = { low: 0, medium: 1, high: 2 };

/** The higher of two levels. */
export function maxLevel(a: SecurityLevel, b: SecurityLevel): SecurityLevel {
  return RANK[a] >= RANK[b] ? a : b;
}

/**
 * The level that answers an ATT security error at `current`: Insufficient Encryption (0x0f) or
 * Encryption Key Size (0x0c) wants an encrypted link, Insufficient Authentication (0x05) one
 * step up (encryption first, then MITM protection). Undefined when the code is no security
 * error or a higher level cannot help.
 */
export function levelFor(attCode: number, current: SecurityLevel): SecurityLevel | undefined {
  if (attCode === 0x0f || attCode === 0x0c) return current === 'low' ? 'medium' : undefined;
  if (attCode !== 0x05) return undefined;
  return current === 'low' ? 'medium' : current === 'medium' ? 'high' : undefined;
}
