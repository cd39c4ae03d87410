import { spawnSync } from 'node:child_process';

/** Debian packages the lab needs on the host, and what each is for. */
export const LAB_PACKAGES: Readonly<Record<string, string>> = {
  'qemu-system-x86': 'the virtual machine',
  'busybox-static': 'the initramfs',
  cpio: 'packing the initramfs',
  bluez: 'bluetoothd, btmgmt, btmon, gatttool',
  'bluez-test-tools': 'btvirt, the virtual controllers',
  'bluez-test-scripts': 'example-gatt-server and other independent peers',
  dbus: 'the system bus inside the VM',
  'python3-bleak': 'an independent central (bleak)',
  'python3-dbus': 'example-gatt-server',
  'python3-gi': 'example-gatt-server',
  iproute2: 'loopback inside the VM',
  tmux: 'terminal tests of the CLI',
  'xz-utils': 'unpacking compressed kernel modules',
  mosquitto: 'an independent MQTT broker (gateway tests)',
  'mosquitto-clients': 'mosquitto_sub, an independent MQTT client (gateway tests)',
  openssl: 'certificates for the gateway TLS test',
};

/** The host cannot run the lab: a package, the kernel or the initramfs is missing. */
export class LabSetupError extends Error {
  /** 'LabSetupError'. */
  override name = 'LabSetupError';
}

/** Those of `packages` (default: all of LAB_PACKAGES) that dpkg does not list as installed. */
export function missingPackages(packages = Object.keys(LAB_PACKAGES)): string[] {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Package} ${db:Status-Abbrev}\n', ...packages], {
    encoding: 'utf8',
  });
  const installed = new Set(
    r.stdout
      .split('\n')
      .filter((l) => /\sii\s*$/.test(l))
      .map((l) => l.split(' ')[0]),
  );
  return packages.filter((p) => !installed.has(p));
}

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

function run(cmd: string, args: string[], log: (s: string) => void): void {
  log(`${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (r.status !== 0) {
    throw new LabSetupError(`${cmd} ${args.join(' ')} failed:\n${r.stderr || r.stdout}`);
  }
}

/** Installs whatever is missing when root; otherwise names the exact packages to install. */
export function ensurePackages(log: (s: string) => void): void {
  const missing = missingPackages();
  if (missing.length === 0) return;
  if (!isRoot()) {
    const lines = missing.map((p) => `  ${p}: ${LAB_PACKAGES[p]}`).join('\n');
    throw new LabSetupError(
      `the lab needs these Debian packages, which are not installed:\n${lines}\n` +
        `install them as root with:\n  apt-get install -y ${missing.join(' ')}`,
    );
  }
  log(`installing ${missing.join(' ')}`);
  run('apt-get', ['update', '-qq'], log);
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], log);
}
