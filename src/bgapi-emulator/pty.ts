import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { BackendError } from '../core/index.js';

/**
 * A pseudo-terminal whose far end (the "dongle" side) is our stdin/stdout pipe pair.
 *
 * Why Python: Node cannot open a pty without a native addon (posix_openpt/grantpt/unlockpt
 * are ioctls), node-pty only spawns programs on a pty and needs a compiler here, and socat
 * is not installed in the lab. Python's standard library has pty.openpty(), and Debian ships
 * /usr/bin/python3 wherever BlueZ's test tools are. The relay keeps the slave side open
 * itself, so a host that closes and reopens the port does not hang the master up.
 */
const RELAY = String.raw`
import os, pty, select, sys, tty
master, slave = pty.openpty()
tty.setraw(slave)
name = os.ttyname(slave)
link = sys.argv[1] if len(sys.argv) > 1 else ''
if link:
    try:
        os.unlink(link)
    except FileNotFoundError:
        pass
    os.symlink(name, link)
sys.stderr.write('PTY ' + name + '\n')
sys.stderr.flush()
try:
    while True:
        r, _, _ = select.select([0, master], [], [])
        if 0 in r:
            data = os.read(0, 65536)
            if not data:
                break
            os.write(master, data)
        if master in r:
            os.write(1, os.read(master, 65536))
finally:
    if link:
        try:
            os.unlink(link)
        except OSError:
            pass
`;

export interface PtyRelay {
  /** The /dev/pts/N path a host opens as its serial port. */
  readonly path: string;
  write(bytes: Buffer): void;
  onData(cb: (bytes: Buffer) => void): void;
  close(): Promise<void>;
  readonly child: ChildProcess;
}

function python(): string {
  return existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
}

/** Opens a pty; `link` makes a stable symlink to it (e.g. /tmp/bgapi0). */
export function openPtyRelay(link?: string, timeoutMs = 10_000): Promise<PtyRelay> {
  return new Promise((resolve, reject) => {
    const child = spawn(python(), ['-c', RELAY, ...(link ? [link] : [])], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let err = '';
    const timer = setTimeout(() => {
      child.kill();
      reject(
        new BackendError(`pty relay did not start in ${timeoutMs} ms: ${err}`, {
          backend: 'bgapi',
        }),
      );
    }, timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(
        new BackendError(`cannot start the pty relay (${python()}): ${e.message}`, {
          cause: e,
          backend: 'bgapi',
        }),
      );
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new BackendError(`pty relay exited (${code}): ${err.trim()}`, { backend: 'bgapi' }));
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      err += chunk;
      const m = /^PTY (\S+)$/m.exec(err);
      if (!m) return;
      clearTimeout(timer);
      child.stdin.on('error', () => undefined);
      resolve({
        path: m[1] as string,
        child,
        write: (bytes) => {
          child.stdin.write(bytes);
        },
        onData: (cb) => child.stdout.on('data', cb),
        close: () =>
          new Promise<void>((res) => {
            if (child.exitCode !== null || child.signalCode !== null) return res();
            child.once('exit', () => res());
            child.stdin.end();
            setTimeout(() => child.kill(), 2_000).unref();
          }),
      });
    });
  });
}
