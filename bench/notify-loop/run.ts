// `npm run bench:notify`: boots the lab once and runs the notify-loop bench (lab.ts) in it.
import { fileURLToPath } from 'node:url';
import { runLab } from '../../lab/index.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const res = await runLab({
  command: [process.execPath, `${root}dist/bench/notify-loop/lab.js`],
  cwd: root,
  timeoutSec: 30 * 60,
  env: ['BLEKIT_NOTIFY_ROUNDS', 'BLEKIT_NOTIFY_COUNT'].filter((k) => process.env[k] !== undefined),
  output: (b) => void process.stdout.write(b),
});
if (res.runDir) process.stderr.write(`bench:notify: lab logs kept in ${res.runDir}\n`);
process.exitCode = res.exitCode;
