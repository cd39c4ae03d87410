// A fresh BlueZ stack for one lab test: both controllers powered off, bluetoothd restarted with
// an empty /var/lib/bluetooth (optionally with our own main.conf), both adapters powered again.
// LAB.md: after pairings, or to change [GATT] settings such as EATT, only a restart is reliable.
import { spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { assertInLab, btmgmt, run } from './proc.js';

const BLUETOOTHD = '/usr/libexec/bluetooth/bluetoothd';
/** The lab job directory: its bluetoothd.log comes back to the host when a run fails. */
const JOB_LOG = '/tmp/blekit-lab-job/bluetoothd.log';
const STATE_DIR = '/var/lib/bluetooth';
const SYSTEM_CONF = '/etc/bluetooth/main.conf';
const CONTROLLERS = ['hci0', 'hci1'];

export interface StackOptions {
  /**
   * [GATT] Channels: 1 turns EATT off (one ATT bearer, so values keep their order);
   * BlueZ 5.66 defaults to 3.
   */
  gattChannels?: number;
  /** How long the adapters may take to come back powered; default 60 s. */
  readyTimeoutMs?: number;
}

/**
 * The system's main.conf with our [GATT] keys put in: a file given with -f replaces it whole,
 * and Debian's copy carries AutoEnable=true, without which the adapters stay powered off.
 */
function mainConf(opts: StackOptions): string | undefined {
  const gatt: string[] = [];
  if (opts.gattChannels !== undefined) {
    if (!Number.isInteger(opts.gattChannels) || opts.gattChannels < 1 || opts.gattChannels > 5)
      throw new RangeError(`gattChannels must be 1..5: ${opts.gattChannels}`);
    gatt.push(`Channels = ${opts.gattChannels}`);
  }
  if (gatt.length === 0) return undefined;
  const system = existsSync(SYSTEM_CONF) ? readFileSync(SYSTEM_CONF, 'utf8') : '';
  const lines = system.split('\n');
  const at = lines.findIndex((l) => l.trim() === '[GATT]');
  if (at >= 0) lines.splice(at + 1, 0, ...gatt);
  else lines.push('[GATT]', ...gatt);
  if (!/^\s*AutoEnable\s*=/m.test(system)) lines.push('[Policy]', 'AutoEnable=true');
  return lines.join('\n') + '\n';
}

async function pidsOf(name: string): Promise<number[]> {
  const r = await run('pidof', [name], 10_000);
  return r.stdout
    .trim()
    .split(/\s+/)
    .filter((s) => /^\d+$/.test(s))
    .map(Number);
}

async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

async function stopBluetoothd(): Promise<void> {
  const pids = await pidsOf('bluetoothd');
  for (const pid of pids) process.kill(pid, 'SIGTERM');
  const end = Date.now() + 15_000;
  while (pids.some((p) => existsSync(`/proc/${p}`))) {
    if (Date.now() > end) {
      for (const p of pids) if (existsSync(`/proc/${p}`)) process.kill(p, 'SIGKILL');
      await sleep(500);
      break;
    }
    await sleep(100);
  }
}

async function adapterPowered(hci: string): Promise<boolean> {
  const r = await run(
    'dbus-send',
    [
      '--system',
      '--print-reply',
      '--dest=org.bluez',
      `/org/bluez/${hci}`,
      'org.freedesktop.DBus.Properties.Get',
      'string:org.bluez.Adapter1',
      'string:Powered',
    ],
    10_000,
  );
  return r.code === 0 && /boolean true/.test(r.stdout);
}

/**
 * Restarts BlueZ from scratch. The new bluetoothd runs detached in its own session, its output
 * appended to the lab's bluetoothd.log; it is the lab's bluetoothd from then on (the lab stops
 * every process when the VM powers off). Call restoreDefaultStack() when the test is done.
 */
export async function freshStack(opts: StackOptions = {}): Promise<void> {
  assertInLab();
  const conf = mainConf(opts);
  for (const hci of CONTROLLERS) await btmgmt(['-i', hci, 'power', 'off']);
  await stopBluetoothd();
  for (const entry of readdirSync(STATE_DIR)) {
    rmSync(join(STATE_DIR, entry), { recursive: true, force: true });
  }
  const args = ['-n'];
  if (conf) {
    const path = `/tmp/blekit-main-${process.pid}.conf`;
    writeFileSync(path, conf);
    args.push('-f', path);
  }
  const log = openSync(JOB_LOG, 'a');
  try {
    writeFileSync(log, `\n==== blekit test stack: bluetoothd ${args.join(' ')}\n`);
    const child = spawn(BLUETOOTHD, args, { detached: true, stdio: ['ignore', log, log] });
    child.on('error', () => undefined);
    child.unref();
  } finally {
    closeSync(log);
  }
  const timeout = opts.readyTimeoutMs ?? 60_000;
  const end = Date.now() + timeout;
  for (const hci of CONTROLLERS) {
    let nudge = Date.now() + 5_000;
    while (!(await adapterPowered(hci))) {
      if (Date.now() > end) {
        const running = (await pidsOf('bluetoothd')).length > 0;
        const info = await btmgmt(['-i', hci, 'info']).catch((e: Error) => e.message);
        throw new Error(
          `${hci} not powered on D-Bus ${timeout} ms after restarting bluetoothd ` +
            `(bluetoothd ${running ? 'running' : 'not running'}; btmgmt info: ${info.trim()})`,
        );
      }
      // bluetoothd powers adapters itself (AutoEnable); nudge it like the lab's boot does.
      if (Date.now() > nudge) {
        await btmgmt(['-i', hci, 'power', 'on']);
        nudge = Date.now() + 5_000;
      }
      await sleep(200);
    }
  }
}

/** Back to what the lab booted with: default main.conf, no stored devices. */
export async function restoreDefaultStack(): Promise<void> {
  await freshStack({});
}
