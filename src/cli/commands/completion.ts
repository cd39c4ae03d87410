import { Argument, type Command } from 'commander';
import { action } from '../common.js';
import { bashCompletion, zshCompletion } from '../completion-scripts.js';

export function registerCompletion(program: Command): void {
  program
    .command('completion')
    .description('print a shell completion script (bash or zsh)')
    .addArgument(new Argument('<shell>', 'the shell').choices(['bash', 'zsh']))
    .addHelpText(
      'after',
      `
Examples:
  $ source <(blekit completion bash)
  $ blekit completion bash > ~/.local/share/bash-completion/completions/blekit
  $ blekit completion zsh > "\${fpath[1]}/_blekit"`,
    )
    .action(
      action(async (out, shell: 'bash' | 'zsh') => {
        // The running program holds only this command in full; completion needs every one.
        const { buildProgram } = await import('../program.js');
        const full = await buildProgram();
        out.stdout.write(shell === 'bash' ? bashCompletion(full) : zshCompletion(full));
      }),
    );
}
