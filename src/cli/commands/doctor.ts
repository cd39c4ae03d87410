import { existsSync } from 'node:fs';
import { access, constants, readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { NotSupportedError, withTimeout } from '../../core/index.js';
import { nativeStatus } from '../../native/addon.js';
import { openSystemBus } from '../../bluez/calls.js';
import { listAdapters, type AdapterInfo } from '../../peripheral/index.js';
import { action } from '../common.js';
import {
  groupNames,
  kernelAdapters,
  parseBluetoothdVersion,
  parseCapabilities,
  policyGroups,
  processRunning,
  readRfkill,
  realExecPath,
  run,
  which,
  type CheckResult,
} from '../doctor-checks.js';
import { ExitCode } from '../exit-codes.js';

const BLUETOOTHD_PATHS = [
  '/usr/libexec/bluetooth/bluetoothd',
  '/usr/lib/bluetooth/bluetoothd',
  '/usr/sbin/bluetoothd',
];
const POLICY_FILES = [
  '/etc/dbus-1/system.d/bluetooth.conf',
  '/usr/share/dbus-1/system.d/bluetooth.conf',
];

async function bluetoothdCheck(): Promise<CheckResult> {
  const running = await processRunning('bluetoothd');
  let version: string | undefined;
  for (const p of BLUETOOTHD_PATHS) {
    try {
      version = parseBluetoothdVersion(await run(p, ['--version']));
      if (version) break;
    } catch {
      // try the next place distributions put it
    }
  }
  const v = version ? `BlueZ ${version}` : 'version unknown (bluetoothd binary not found)';
  if (!running) {
    return {
      name: 'bluetoothd',
      status: 'fail',
      detail: `not running; ${v}`,
      fix: version
        ? 'sudo systemctl start bluetooth (and enable it: sudo systemctl enable bluetooth)'
        : 'install BlueZ (Debian/Ubuntu: sudo apt install bluez), then sudo systemctl start bluetooth',
    };
  }
  return { name: 'bluetoothd', status: 'ok', detail: `running, ${v}` };
}

async function dbusCheck(): Promise<{ check: CheckResult; adapters?: AdapterInfo[] }> {
  const socket = systemBusSocket();
  if (socket && !existsSync(socket)) {
    return {
      check: {
        name: 'D-Bus access',
        status: 'fail',
        detail: `no system bus at ${socket}`,
        fix: 'the system D-Bus is not running: sudo systemctl start dbus',
      },
    };
  }
  const opening = openSystemBus();
  try {
    const adapters = await withTimeout(
      opening.then((bus) => listAdapters({ bus })),
      5000,
      'asking bluetoothd over D-Bus',
    );
    return {
      check: { name: 'D-Bus access', status: 'ok', detail: 'org.bluez answers on the system bus' },
      adapters,
    };
  } catch (e) {
    const text = `${(e as Error).name} ${(e as Error).message} ${String((e as { type?: unknown }).type ?? '')}`;
    const fix = /AccessDenied|not allowed/i.test(text)
      ? 'the D-Bus policy refuses this user: add it to the group the policy allows (see below), or run as root'
      : /ServiceUnknown|not provided/i.test(text)
        ? 'bluetoothd is not on the system bus: sudo systemctl restart bluetooth'
        : /ENOENT|ECONNREFUSED|No such file|Connection refused/.test(text)
          ? 'the system D-Bus is not running: sudo systemctl start dbus'
          : 'check that dbus and bluetoothd run: systemctl status dbus bluetooth';
    return { check: { name: 'D-Bus access', status: 'fail', detail: (e as Error).message, fix } };
  } finally {
    opening.then(
      (bus) => bus.close(),
      () => undefined,
    );
  }
}

/** The unix socket of the system bus, when its address names one. */
function systemBusSocket(): string | undefined {
  const addr = process.env.DBUS_SYSTEM_BUS_ADDRESS ?? 'unix:path=/var/run/dbus/system_bus_socket';
  return /^unix:path=([^,;]+)/.exec(addr)?.[1];
}

async function permissionCheck(): Promise<CheckResult> {
  const uid = process.getuid?.() ?? 0;
  if (uid === 0) return { name: 'D-Bus policy', status: 'ok', detail: 'running as root' };
  let groups: string[] = [];
  for (const f of POLICY_FILES) {
    try {
      groups = policyGroups(await readFile(f, 'utf8'));
      if (groups.length) break;
    } catch {
      // not installed there
    }
  }
  const mine = groupNames(
    await readFile('/etc/group', 'utf8').catch(() => ''),
    process.getgroups?.() ?? [],
  );
  const hit = groups.find((g) => mine.includes(g));
  if (hit || groups.length === 0) {
    return {
      name: 'D-Bus policy',
      status: 'ok',
      detail: hit
        ? `member of "${hit}", which the policy allows`
        : 'no group restriction in the policy',
    };
  }
  return {
    name: 'D-Bus policy',
    status: 'warn',
    detail: `not in ${groups.map((g) => `"${g}"`).join(' or ')} (the policy may still allow console users)`,
    fix: `sudo usermod -aG ${groups[0]} $USER, then log in again`,
  };
}

async function capabilityCheck(): Promise<CheckResult> {
  if ((process.getuid?.() ?? 0) === 0) {
    return { name: 'capabilities', status: 'ok', detail: 'root: mgmt and HCI sockets allowed' };
  }
  const caps = parseCapabilities(await readFile('/proc/self/status', 'utf8').catch(() => ''));
  if (caps.netAdmin && caps.netRaw) {
    return { name: 'capabilities', status: 'ok', detail: 'CAP_NET_ADMIN and CAP_NET_RAW present' };
  }
  const missing = [caps.netAdmin ? '' : 'CAP_NET_ADMIN', caps.netRaw ? '' : 'CAP_NET_RAW'].filter(
    Boolean,
  );
  return {
    name: 'capabilities',
    status: 'warn',
    detail: `missing ${missing.join(' and ')}: blekit mgmt and raw HCI need them (D-Bus does not)`,
    fix: `sudo setcap cap_net_admin,cap_net_raw+eip ${await realExecPath()}`,
  };
}

async function adapterChecks(adapters: AdapterInfo[] | undefined): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  const kernel = await kernelAdapters();
  if (kernel === undefined) {
    out.push({
      name: 'adapters',
      status: 'fail',
      detail: 'the kernel has no Bluetooth (no /sys/class/bluetooth)',
      fix: 'sudo modprobe bluetooth btusb (or use a kernel built with CONFIG_BT)',
    });
    return out;
  }
  if (kernel.length === 0) {
    out.push({
      name: 'adapters',
      status: 'fail',
      detail: 'no HCI device in the kernel',
      fix: 'plug in a Bluetooth adapter; check dmesg for firmware errors (btusb, firmware files)',
    });
    return out;
  }
  out.push({ name: 'adapters', status: 'ok', detail: kernel.join(', ') });
  for (const a of adapters ?? []) {
    out.push(
      a.powered
        ? { name: `${a.name} powered`, status: 'ok', detail: `${a.address}, powered` }
        : {
            name: `${a.name} powered`,
            status: 'warn',
            detail: `${a.address} is off (blekit's central powers it on by itself)`,
            fix: `bluetoothctl power on, or blekit mgmt SetPowered --index ${a.name.slice(3)} --powered 1`,
          },
    );
  }
  const blocked = (await readRfkill()).filter((r) => r.soft || r.hard);
  if (blocked.length === 0) {
    out.push({ name: 'rfkill', status: 'ok', detail: 'no Bluetooth radio blocked' });
  } else {
    for (const r of blocked) {
      out.push({
        name: 'rfkill',
        status: 'fail',
        detail: `${r.name} is ${r.hard ? 'hard' : 'soft'}-blocked`,
        fix: r.hard
          ? 'a hardware switch or the firmware blocks the radio: flip the switch / enable it in the BIOS'
          : 'sudo rfkill unblock bluetooth',
      });
    }
  }
  return out;
}

/** The native addon: without it the D-Bus fast paths, mgmt and raw HCI are gone. */
function nativeCheck(): CheckResult {
  const s = nativeStatus();
  if (s.loaded) {
    const from = s.source === 'prebuild' ? 'prebuilt for this platform' : 'built from source';
    return { name: 'native addon', status: 'ok', detail: `${from}: ${s.path}` };
  }
  return {
    name: 'native addon',
    status: 'fail',
    detail: `does not load, so mgmt, raw HCI and the fast D-Bus paths are unavailable: ${s.reason}`,
    ...(s.fix ? { fix: s.fix } : {}),
  };
}

async function toolChecks(): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  const gatttool = await which('gatttool');
  out.push(
    gatttool
      ? { name: 'gatttool', status: 'ok', detail: gatttool }
      : {
          name: 'gatttool',
          status: 'warn',
          detail: 'not found (needed only for --backend gatttool)',
          fix: 'Debian/Ubuntu: sudo apt install bluez; other distributions ship it in bluez-deprecated',
        },
  );
  let dongles: string[];
  try {
    // Loaded here so other commands never pay for serialport's native binding.
    const { findDongles } = await import('../../backends/bgapi/index.js');
    dongles = await findDongles();
  } catch (e) {
    out.push(
      e instanceof NotSupportedError
        ? {
            name: 'BGAPI dongles',
            status: 'warn',
            detail: 'serialport is not installed (needed only for --backend bgapi)',
            fix: 'npm install serialport',
          }
        : {
            name: 'BGAPI dongles',
            status: 'warn',
            detail: `could not list serial ports: ${(e as Error).message}`,
            fix: 'serialport lists ports through udev: check that udevadm works',
          },
    );
    return out;
  }
  if (dongles.length === 0) {
    out.push({
      name: 'BGAPI dongles',
      status: 'warn',
      detail: 'none found (needed only for --backend bgapi)',
      fix: 'plug in a BLED112-style dongle (USB 2458:0001)',
    });
  }
  for (const d of dongles) {
    try {
      await access(d, constants.R_OK | constants.W_OK);
      out.push({ name: 'BGAPI dongles', status: 'ok', detail: `${d} (read/write)` });
    } catch {
      out.push({
        name: 'BGAPI dongles',
        status: 'warn',
        detail: `${d} found but not writable by this user`,
        fix: 'sudo usermod -aG dialout $USER, then log in again',
      });
    }
  }
  return out;
}

/** Every check, in the order a user should fix them. */
export async function runChecks(): Promise<CheckResult[]> {
  const [bluetoothd, dbus, policy, caps, tools] = await Promise.all([
    bluetoothdCheck(),
    dbusCheck(),
    permissionCheck(),
    capabilityCheck(),
    toolChecks(),
  ]);
  return [
    bluetoothd,
    dbus.check,
    policy,
    ...(await adapterChecks(dbus.adapters)),
    caps,
    nativeCheck(),
    ...tools,
  ];
}

const MARK = { ok: 'ok  ', warn: 'warn', fail: 'FAIL' } as const;

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('check the Bluetooth setup and say how to fix what is wrong')
    .option('--json', 'the checks as {result, value: [{name, status, detail, fix}]}')
    .option('--debug', 'stack traces on stderr')
    .addHelpText(
      'after',
      `
Checks: bluetoothd running and its version, D-Bus access to org.bluez, the D-Bus policy group
for non-root users, adapters present and powered, rfkill, capabilities for mgmt/HCI sockets,
the native addon, gatttool, BGAPI dongles. Exits 0 when nothing failed (warnings allowed), 6 otherwise.

Examples:
  $ blekit doctor
  $ blekit doctor --json | jq '.value[] | select(.status != "ok")'`,
    )
    .action(
      action(async (out) => {
        const checks = await runChecks();
        out.ok(checks, () =>
          checks
            .map(
              (c) =>
                `${MARK[c.status]}  ${c.name}: ${c.detail}${c.fix ? `\n      fix: ${c.fix}` : ''}`,
            )
            .join('\n'),
        );
        if (checks.some((c) => c.status === 'fail')) process.exitCode = ExitCode.BackendFailure;
      }),
    );
}
