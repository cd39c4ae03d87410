#!/usr/bin/env node
import { Command } from 'commander';
import { registerLab } from './commands/lab.js';
import { registerMgmt } from './commands/mgmt.js';

const program = new Command();
program.name('blekit').description('Bluetooth Low Energy toolkit for Linux').version('0.1.0');
registerLab(program);
registerMgmt(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`blekit: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = process.exitCode || 1;
});
