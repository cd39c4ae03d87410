// A private dbus-daemon with blekit's client on it and the dbus-python peer (dbus_peer.py).
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { BackendError, delay, withTimeout } from '../../../src/core/index.js';
import { connectBus, type DbusClient } from '../../../src/dbus/client/index.js';

// dist/test/lab/dbus -> the .py next to the TypeScript sources.
const PEER = fileURLToPath(new URL('../../../../test/lab/dbus/dbus_peer.py', import.meta.url));
export const IFACE = 'org.blekit.Test';

export interface PrivateBus {
  path: string;
  client: DbusClient;
  /** The peer's unique name. */
  peer: string;
  close(): void;
}

/** Connects once the daemon listens: until then connect fails (ENOENT, ECONNREFUSED). */
export async function connectWhenListening(path: string): Promise<DbusClient> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      return await connectBus({ path, timeoutMs: 10_000 });
    } catch (e) {
      if (!(e instanceof BackendError) || Date.now() > deadline) throw e;
      await delay(100);
    }
  }
}

export async function startPrivateBus(): Promise<PrivateBus> {
  // The daemon listens where this test says, so the first connects also meet a missing socket.
  const dir = mkdtempSync(join(tmpdir(), 'blekit-bus-'));
  const path = join(dir, 'bus');
  const address = `unix:path=${path}`;
  const children: ChildProcess[] = [];
  let client: DbusClient | undefined;
  const close = (): void => {
    client?.close();
    for (const c of children) c.kill();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const daemon = spawn('dbus-daemon', ['--session', '--nofork', `--address=${address}`], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.push(daemon);
    const failed = once(daemon, 'error').then(([e]) => Promise.reject(e as Error));
    client = await Promise.race([connectWhenListening(path), failed]);
    const peer = spawn('/usr/bin/python3', ['-u', PEER, address], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    children.push(peer);
    const lines = createInterface({ input: peer.stdout! });
    const ready = new Promise<string>((resolve, reject) => {
      lines.on('line', (l) => {
        if (l.startsWith('ready ')) resolve(l.slice(6).trim());
      });
      peer.on('exit', (code) => reject(new Error(`dbus_peer.py exited with ${code}`)));
    });
    const name = await withTimeout(ready, 20_000, 'the python peer');
    return { path, client, peer: name, close };
  } catch (e) {
    close();
    throw e;
  }
}
