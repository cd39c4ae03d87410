#!/usr/bin/env node
import { CommanderError } from 'commander';
import { programFor } from './program.js';
import { ExitCode } from './exit-codes.js';
import { Output } from './output.js';

const program = await programFor(process.argv);

program.parseAsync(process.argv).then(
  () => {
    // A library handle left open must not keep a finished one-shot command alive.
    setTimeout(() => process.exit(), 3000).unref();
  },
  (err: unknown) => {
    if (err instanceof CommanderError) {
      // Commander already printed its message (or the help) on the right stream.
      const shown = ['commander.helpDisplayed', 'commander.version', 'commander.help'];
      if (shown.includes(err.code)) {
        process.exitCode = err.exitCode;
        return;
      }
      process.exitCode = ExitCode.BadInput;
      if (process.argv.includes('--json')) {
        process.stdout.write(
          JSON.stringify({
            result: 'error',
            reason: err.message.replace(/^error: /, ''),
            exitCode: 2,
          }) + '\n',
        );
      }
      return;
    }
    process.exitCode = new Output({ debug: process.argv.includes('--debug') }).fail(err);
  },
);
