import type { Command } from 'commander';
import { ensureKernelFiles, ensurePackages, guestDir, runLab } from '../../../lab/index.js';

function intOption(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`expected a positive integer, got "${v}"`);
  return n;
}

function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

export function registerLab(program: Command): void {
  const lab = program
    .command('lab')
    .description('the virtual Bluetooth lab: a QEMU VM with btvirt controllers and bluetoothd');

  const common = (c: Command) =>
    c
      .option('-n, --controllers <n>', 'number of virtual LE controllers', intOption, 2)
      .option('-t, --timeout <seconds>', 'wall-clock limit for the whole run', intOption)
      .option('-e, --env <NAME[=VALUE]>', 'pass an environment variable into the VM', collect, [])
      .option('--keep', 'keep the run logs (bluetoothd log, HCI trace) even on success');

  common(
    lab
      .command('run')
      .description('boot the lab, run a command inside it, bring back its output and exit status')
      .argument('<command...>', 'the command and its arguments (put them after --)')
      .addHelpText(
        'after',
        `
Examples:
  $ blekit lab run -- btmgmt info
  $ blekit lab run -n 3 -- node --test dist/test/lab
  $ blekit lab run -e MY_VAR --keep -- /usr/bin/python3 my-bleak-script.py`,
      ),
  ).action(
    async (
      command: string[],
      o: { controllers: number; timeout?: number; env: string[]; keep?: boolean },
    ) => {
      const r = await runLab({
        command,
        controllers: o.controllers,
        timeoutSec: o.timeout,
        env: o.env,
        keep: o.keep,
      });
      process.exitCode = r.exitCode;
    },
  );

  common(
    lab
      .command('shell')
      .description('boot the lab and open an interactive shell inside it (exit powers it off)'),
  ).action(async (o: { controllers: number; timeout?: number; env: string[]; keep?: boolean }) => {
    const r = await runLab({
      command: [],
      mode: 'shell',
      controllers: o.controllers,
      timeoutSec: o.timeout ?? 4 * 3600,
      env: o.env,
      keep: o.keep,
    });
    process.exitCode = r.exitCode;
  });

  lab
    .command('setup')
    .description(
      'install the Debian packages (as root), download the kernel and build the initramfs',
    )
    .action(() => {
      const log = (l: string) => process.stderr.write(`[lab] ${l}\n`);
      ensurePackages(log);
      const k = ensureKernelFiles(`${guestDir()}/init.sh`, log);
      log(`ready: kernel ${k.version}, initramfs ${k.initramfs}`);
    });
}
