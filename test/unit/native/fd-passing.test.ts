// Fds passed over a unix stream socket (SCM_RIGHTS) reach the listener of the native stream,
// sent by an independent peer: Python's socket.send_fds, since Node cannot send fds itself.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, mkdtempSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { UnixStream, connectUnix } from '../../../src/native/unix-stream.js';

// Listens, then sends one message carrying the read end of a pipe that already holds a text.
const PEER = `
import os, socket, sys
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(sys.argv[1])
srv.listen(1)
print("ready", flush=True)
conn, _ = srv.accept()
r, w = os.pipe()
os.write(w, b"read through the passed fd")
os.close(w)
socket.send_fds(conn, [b"one fd follows"], [r])
conn.recv(1)
`;

test('an fd sent with SCM_RIGHTS arrives with its bytes and reads what the sender wrote', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'blekit-fds-'));
  const path = join(dir, 'sock');
  const peer = spawn('python3', ['-c', PEER, path], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const [line] = (await once(peer.stdout, 'data')) as [Buffer];
    assert.equal(line.toString().trim(), 'ready');
    const stream = new UnixStream(connectUnix(path));
    const [data, fds] = (await once(stream, 'data')) as [Buffer, number[]];
    assert.equal(data.toString(), 'one fd follows');
    assert.equal(fds.length, 1);
    const fd = fds[0] as number;
    const buf = Buffer.alloc(64);
    const n = readSync(fd, buf, 0, buf.length, null);
    closeSync(fd);
    assert.equal(buf.subarray(0, n).toString(), 'read through the passed fd');
    stream.close();
  } finally {
    peer.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});
