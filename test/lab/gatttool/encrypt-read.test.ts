// The gatttool backend against a characteristic that reads only over an encrypted link (issue
// 17 item 3c). BlueZ 5.66's gatttool answers the first read with Insufficient Encryption, then
// raises security by itself and, in about half the boots, never re-sends the read; its session
// is then stuck at a security level it cannot be asked for again. The backend must still hand
// the value back within the read's timeout, keep the link usable, and reconnect to the now
// bonded peer with securityLevel 'medium'. The peer is BlueZ's example-gatt-server with an
// agent of its own (one bluetoothd serves both sides, so its default agent answers pairing).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { GatttoolBackend } from '../../../src/backends/gatttool/index.js';
import { Central, type Device } from '../../../src/central/index.js';
import { assertInLab } from '../../support/proc.js';
import { forgetPeers } from '../peripheral/support.js';
import { connectWhileAdvertising } from '../central/advertised-connect.js';
import { bluezExamplePeer } from '../central/peers/bluez-example.js';

const T = { timeout: 240_000 };
const LOG = '/tmp/blekit-gatttool-encrypt.log';
const u = (n: number): string => `0000${n.toString(16)}-b1e0-4000-8000-626c656b6974`;
const ENC = u(0xc071);
const PLAIN = u(0xc001);
const SECRET = 'only-over-an-encrypted-link';
const READ_MS = 45_000;

const peer = bluezExamplePeer('hci1', undefined, ['--encrypted']);
let central: Central;
let device: Device | undefined;

/** The end of gatttool's conversation, for a failure message. */
function logTail(): string {
  try {
    return readFileSync(LOG, 'utf8').slice(-3000);
  } catch {
    return '(no gatttool log)';
  }
}

async function timed<T>(what: string, run: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  try {
    return await run();
  } catch (e) {
    throw new Error(`${what} failed after ${Date.now() - t0} ms: ${String(e)}\n${logTail()}`, {
      cause: e,
    });
  } finally {
    console.log(`# ${what}: ${Date.now() - t0} ms`);
  }
}

before(async () => {
  assertInLab();
  await forgetPeers();
  await peer.start();
  central = new Central({ backend: new GatttoolBackend({ logFile: LOG }), adapter: 'hci0' });
  await central.start();
  device = await connectWhileAdvertising(central, peer, { timeoutMs: 60_000 });
});

after(async () => {
  await device?.disconnect().catch(() => undefined);
  await central?.stop().catch(() => undefined);
  await peer.stop().catch(() => undefined);
  await forgetPeers();
});

test('an encrypt-read characteristic reads within its timeout on a fresh link', T, async () => {
  const d = device as Device;
  const value = await timed('encrypted read', () => d.read(ENC, { timeoutMs: READ_MS }));
  assert.equal(value.toString(), SECRET);
  assert.equal(d.connected, true);
});

test('the link serves on after it: plain and encrypted reads, pair(medium)', T, async () => {
  const d = device as Device;
  assert.equal((await timed('plain read', () => d.read(PLAIN))).toString(), 'blekit-conformance');
  const again = await timed('encrypted read again', () => d.read(ENC, { timeoutMs: READ_MS }));
  assert.equal(again.toString(), SECRET);
  // Already encrypted at medium: nothing left to do, and no error for asking.
  await timed('pair(medium)', () => d.pair('medium', { timeoutMs: 30_000 }));
  assert.equal((await d.read(ENC)).toString(), SECRET);
});

test("connect({ securityLevel: 'medium' }) to the bonded peer, then the read", T, async () => {
  await device?.disconnect();
  device = await timed('connect at medium', () =>
    connectWhileAdvertising(central, peer, { timeoutMs: 60_000, securityLevel: 'medium' }),
  );
  const d = device;
  const value = await timed('encrypted read after reconnect', () =>
    d.read(ENC, { timeoutMs: 20_000 }),
  );
  assert.equal(value.toString(), SECRET);
});
