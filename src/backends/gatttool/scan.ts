/**
 * Scanning for the gatttool backend. gatttool itself cannot scan, so there are two ways:
 * - 'mgmt' (default): the kernel's mgmt Start Discovery on blekit's own control socket; full
 *   advertising data, RSSI and address type; needs CAP_NET_ADMIN (root).
 * - 'hcitool': what pygatt does, `hcitool -i hciN lescan`, optionally under `sudo -n`
 *   (runAsRoot); it prints only address and name: no RSSI, no data, no address type.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import {
  BackendError,
  PermissionError,
  isAddress,
  normalizeAddress,
  parseAdvertisingData,
  rssiOrUndefined,
  withTimeout,
  type BleError,
} from '../../core/index.js';
import type { ScanResult } from '../../central/types.js';
import type { Mgmt } from '../../mgmt/index.js';
import { MgmtError } from '../../mgmt/index.js';

export interface Scanner {
  stop(): Promise<void>;
}

const LE = ['le-public', 'le-random'] as const;
const PERMISSION_HINT =
  'run as root, give node CAP_NET_ADMIN and CAP_NET_RAW (setcap), or use ' +
  "scanTool: 'hcitool' with runAsRoot: true (sudo -n)";

/** Turns a mgmt failure of a privileged command into PermissionError with what to do. */
export function mgmtPermission(e: unknown, what: string): unknown {
  if (e instanceof MgmtError && /Permission Denied/i.test(e.statusName)) {
    return new PermissionError(`${what} needs privileges: ${PERMISSION_HINT}`, { cause: e });
  }
  return e;
}

/** Discovery through mgmt, restarted whenever the kernel ends it (LE discovery stops by itself). */
export async function mgmtScan(
  mgmt: Mgmt,
  index: number,
  onReport: (r: ScanResult) => void,
): Promise<Scanner> {
  let active = true;
  const onFound = (ev: {
    index: number;
    params: {
      address: string;
      addressType: string;
      rssi: number;
      eirData: { raw: Buffer; ad?: ScanResult['advertisement'] };
    };
  }): void => {
    if (!active || ev.index !== index || ev.params.addressType === 'bredr') return;
    const ad = ev.params.eirData.ad ?? parseAdvertisingData(Buffer.alloc(0));
    onReport({
      address: ev.params.address,
      addressType: ev.params.addressType === 'le-random' ? 'random' : 'public',
      name: ad.localName ?? ad.shortName,
      rssi: rssiOrUndefined(ev.params.rssi),
      advertisement: ad,
      timestamp: Date.now(),
    });
  };
  const onDiscovering = (ev: { index: number; params: { discovering: number } }): void => {
    if (!active || ev.index !== index || ev.params.discovering !== 0) return;
    mgmt.send('StartDiscovery', index, { addressType: [...LE] }).catch(() => undefined);
  };
  mgmt.on('DeviceFound', onFound as never);
  mgmt.on('Discovering', onDiscovering as never);
  const off = (): void => {
    active = false;
    mgmt.off('DeviceFound', onFound as never);
    mgmt.off('Discovering', onDiscovering as never);
  };
  try {
    await mgmt.send('StartDiscovery', index, { addressType: [...LE] });
  } catch (e) {
    off();
    throw mgmtPermission(e, 'Scanning (mgmt Start Discovery)');
  }
  return {
    async stop() {
      if (!active) return;
      off();
      await mgmt.send('StopDiscovery', index, { addressType: [...LE] }).catch(() => undefined);
    },
  };
}

/** One line of `hcitool lescan`: 'AA:BB:CC:DD:EE:FF Name' or '... (unknown)'. */
export function parseLescanLine(line: string): { address: string; name?: string } | undefined {
  const m = /^([0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5})(?: (.*))?$/.exec(line.trim());
  if (!m || !isAddress(m[1])) return undefined;
  const name = m[2]?.trim();
  return {
    address: normalizeAddress(m[1] as string),
    name: name && name !== '(unknown)' ? name : undefined,
  };
}

/** What hcitool's failure output means, as a typed error. */
export function lescanError(output: string, runAsRoot: boolean): BleError {
  const text = output.trim() || 'hcitool lescan ended';
  if (/Operation not permitted|Permission denied|password is required|not allowed/i.test(text)) {
    return new PermissionError(
      `hcitool lescan lacks privileges (${text}): ${
        runAsRoot ? 'sudo -n must be allowed to run hcitool without a password' : PERMISSION_HINT
      }`,
    );
  }
  return new BackendError(`hcitool lescan failed: ${text}`, { backend: 'gatttool' });
}

/**
 * pygatt's scan: `hcitool lescan --duplicates`, which prints each report's address and name
 * (addressType is reported as 'public': hcitool does not say).
 */
export async function hcitoolScan(
  adapter: string,
  runAsRoot: boolean,
  startTimeoutMs: number,
  onReport: (r: ScanResult) => void,
  hcitool = 'hcitool',
): Promise<Scanner> {
  // hcitool's stdout is block-buffered on a pipe: stdbuf makes it print each report at once.
  const args = ['-oL', hcitool, '-i', adapter, 'lescan', '--duplicates'];
  const [cmd, argv] = runAsRoot ? ['sudo', ['-n', 'stdbuf', ...args]] : ['stdbuf', args];
  const child: ChildProcessWithoutNullStreams = spawn(cmd, argv, {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  let started = false;
  let buf = '';
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', (e) => {
      output += e.message;
      resolve();
    });
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (s: string) => (output = (output + s).slice(-2000)));
  child.stdout.setEncoding('utf8');
  const startedP = new Promise<void>((resolve) => {
    child.stdout.on('data', (s: string) => {
      buf += s;
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      for (const line of lines) {
        if (/^LE Scan/.test(line)) {
          started = true;
          resolve();
          continue;
        }
        const r = parseLescanLine(line);
        if (r) {
          onReport({
            address: r.address,
            addressType: 'public',
            name: r.name,
            advertisement: { ...parseAdvertisingData(Buffer.alloc(0)), localName: r.name },
            timestamp: Date.now(),
          });
        }
      }
    });
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    // SIGINT lets hcitool switch scanning off on the controller before it exits.
    child.kill('SIGINT');
    await withTimeout(exited, 3000, 'hcitool exit').catch(() => child.kill('SIGKILL'));
  };
  try {
    await withTimeout(Promise.race([startedP, exited]), startTimeoutMs, 'hcitool lescan start');
  } catch (e) {
    await stop();
    throw e;
  }
  if (!started) throw lescanError(output, runAsRoot);
  return { stop };
}
