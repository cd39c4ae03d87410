// The native stream socket against a Node unix server (fd passing is covered in the lab test).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { InvalidArgumentError } from '../../../../src/core/errors.js';
import { UnixStream, connectUnix } from '../../../../src/native/unix-stream.js';

const dir = mkdtempSync(join(tmpdir(), 'blekit-stream-'));
const path = join(dir, 'sock');
const server = createServer();
const peers: Socket[] = [];
server.on('connection', (s) => peers.push(s));

before(async () => {
  server.listen(path);
  await once(server, 'listening');
});

after(() => {
  for (const p of peers) p.destroy();
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

async function pair(): Promise<[UnixStream, Socket]> {
  const accepted = once(server, 'connection') as Promise<[Socket]>;
  const stream = new UnixStream(connectUnix(path));
  const [peer] = await accepted;
  return [stream, peer];
}

test('bytes go both ways', async () => {
  const [stream, peer] = await pair();
  const got = once(stream, 'data') as Promise<[Buffer, number[]]>;
  peer.write('hello');
  const [data, fds] = await got;
  assert.equal(data.toString(), 'hello');
  assert.deepEqual(fds, []);
  const echoed = once(peer, 'data') as Promise<[Buffer]>;
  stream.write(Buffer.from('back'));
  assert.equal((await echoed)[0].toString(), 'back');
  stream.close();
});

test('a write larger than the socket buffer is queued and arrives whole, in order', async () => {
  const [stream, peer] = await pair();
  const big = Buffer.alloc(8 << 20);
  for (let i = 0; i < big.length; i += 4) big.writeUInt32LE(i, i);
  peer.pause();
  stream.write(big);
  stream.write(Buffer.from('tail'));
  assert.ok(stream.queuedBytes > 0, 'the kernel took only part of 8 MiB');
  const chunks: Buffer[] = [];
  let total = 0;
  const done = new Promise<void>((resolve) => {
    peer.on('data', (c: Buffer) => {
      chunks.push(c);
      total += c.length;
      if (total >= big.length + 4) resolve();
    });
  });
  peer.resume();
  await done;
  assert.ok(Buffer.concat(chunks).equals(Buffer.concat([big, Buffer.from('tail')])));
  assert.equal(stream.queuedBytes, 0);
  stream.close();
});

test('the peer closing emits close once; writes after close throw', async () => {
  const [stream, peer] = await pair();
  const closed = once(stream, 'close');
  peer.end();
  await closed;
  assert.equal(stream.isClosed, true);
  assert.throws(() => stream.write(Buffer.from('x')), /closed/);
  stream.close();
});

test('connect errors carry the errno; bad paths are refused before any I/O', () => {
  assert.throws(
    () => connectUnix(join(dir, 'missing')),
    (e: unknown) => (e as { errno?: number }).errno === 2,
  );
  assert.throws(() => connectUnix(''), InvalidArgumentError);
  assert.throws(() => connectUnix('a\0b'), InvalidArgumentError);
  assert.throws(() => connectUnix('/' + 'x'.repeat(200)), /File name too long/);
});
