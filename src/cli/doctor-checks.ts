import { execFile } from 'node:child_process';
import { access, constants, readdir, readFile, readlink } from 'node:fs/promises';
import { delimiter, join } from 'node:path';

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface CheckResult {
  name: string;
  status: CheckStatus;
  detail: string;
  /** What to do about it (absent when ok). */
  fix?: string;
}

/** CAP_NET_ADMIN (mgmt and HCI user channel) and CAP_NET_RAW (raw HCI) from /proc/PID/status. */
export function parseCapabilities(status: string): { netAdmin: boolean; netRaw: boolean } {
  const m = /^CapEff:\s*([0-9a-f]+)$/im.exec(status);
  const eff = m ? BigInt('0x' + m[1]) : 0n;
  return { netAdmin: ((eff >> 12n) & 1n) === 1n, netRaw: ((eff >> 13n) & 1n) === 1n };
}

/** Groups a D-Bus policy file lets talk to org.bluez (`<policy group="...">` with an allow). */
export function policyGroups(xml: string): string[] {
  const out: string[] = [];
  for (const m of xml.matchAll(/<policy\s+group="([^"]+)"\s*>([\s\S]*?)<\/policy>/g)) {
    if (/<allow\s+send_destination="org\.bluez"/.test(m[2] ?? '')) out.push(m[1] as string);
  }
  return out;
}

/** Names of the groups with these gids, from /etc/group text. */
export function groupNames(etcGroup: string, gids: readonly number[]): string[] {
  const byGid = new Map<number, string>();
  for (const line of etcGroup.split('\n')) {
    const [name, , gid] = line.split(':');
    if (name && gid !== undefined && /^\d+$/.test(gid)) byGid.set(Number(gid), name);
  }
  return gids.map((g) => byGid.get(g)).filter((n): n is string => n !== undefined);
}

/** '5.66' from `bluetoothd --version` output. */
export function parseBluetoothdVersion(text: string): string | undefined {
  return /(\d+\.\d+(?:\.\d+)?)/.exec(text)?.[1];
}

export interface RfkillEntry {
  name: string;
  soft: boolean;
  hard: boolean;
}

async function readTrim(path: string): Promise<string | undefined> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch {
    return undefined;
  }
}

async function list(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return [];
  }
}

/** Bluetooth rfkill switches under `sysRoot`/class/rfkill. */
export async function readRfkill(sysRoot = '/sys'): Promise<RfkillEntry[]> {
  const base = join(sysRoot, 'class/rfkill');
  const out: RfkillEntry[] = [];
  for (const e of await list(base)) {
    if ((await readTrim(join(base, e, 'type'))) !== 'bluetooth') continue;
    out.push({
      name: (await readTrim(join(base, e, 'name'))) ?? e,
      soft: (await readTrim(join(base, e, 'soft'))) === '1',
      hard: (await readTrim(join(base, e, 'hard'))) === '1',
    });
  }
  return out;
}

/** Kernel HCI devices (hci0 ...) under `sysRoot`/class/bluetooth; undefined when the class is absent. */
export async function kernelAdapters(sysRoot = '/sys'): Promise<string[] | undefined> {
  const dir = join(sysRoot, 'class/bluetooth');
  try {
    await access(dir);
  } catch {
    return undefined;
  }
  return (await list(dir)).filter((n) => /^hci\d+$/.test(n)).sort();
}

/** The first executable named `name` on PATH. */
export async function which(
  name: string,
  path = process.env.PATH ?? '',
): Promise<string | undefined> {
  for (const dir of path.split(delimiter).filter(Boolean)) {
    const p = join(dir, name);
    try {
      await access(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Whether a process with this command name runs (from /proc/<pid>/comm). */
export async function processRunning(comm: string, procRoot = '/proc'): Promise<boolean> {
  for (const pid of await list(procRoot)) {
    if (!/^\d+$/.test(pid)) continue;
    if ((await readTrim(join(procRoot, pid, 'comm'))) === comm) return true;
  }
  return false;
}

export function run(cmd: string, args: string[], timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs }, (err, stdout, stderr) => {
      if (err) reject(err);
      else resolve(stdout + stderr);
    });
  });
}

export async function realExecPath(): Promise<string> {
  try {
    const link = await readlink(process.execPath);
    return link.startsWith('/') ? link : process.execPath;
  } catch {
    return process.execPath;
  }
}
