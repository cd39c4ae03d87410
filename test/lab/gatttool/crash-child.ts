// Helper process for gatttool.test.ts: starts the backend (one gatttool session), reports the
// gatttool pid, then idles until the test kills this process with SIGKILL.
import { GatttoolBackend } from '../../../src/backends/gatttool/index.js';

const backend = new GatttoolBackend();
await backend.start({ adapter: 'hci0' });
process.stdout.write(JSON.stringify({ pid: backend.session?.pid }) + '\n');
setInterval(() => undefined, 1000);
