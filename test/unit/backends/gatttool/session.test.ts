// The gatttool session and connection against a fake gatttool that prints like the real one.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { GatttoolConnection } from '../../../../src/backends/gatttool/connection.js';
import type { GatttoolEvent } from '../../../../src/backends/gatttool/parser.js';
import { GatttoolSession } from '../../../../src/backends/gatttool/session.js';
import type { DisconnectReason } from '../../../../src/central/types.js';
import {
  AttError,
  InvalidArgumentError,
  NotConnectedError,
  NotSupportedError,
  TimeoutError,
} from '../../../../src/core/index.js';

const dir = mkdtempSync(join(tmpdir(), 'blekit-gatttool-'));
const FAKE = join(dir, 'gatttool');
const LOG = join(dir, 'conversation.log');
writeFileSync(
  FAKE,
  `#!/bin/sh\nexec "${process.execPath}" "${fileURLToPath(new URL('./fake-gatttool.js', import.meta.url))}" "$@"\n`,
);
chmodSync(FAKE, 0o755);

const open = (extra: Partial<Parameters<typeof GatttoolSession.open>[0]> = {}) =>
  GatttoolSession.open(
    { gatttool: FAKE, adapter: 'hci0', livenessIntervalMs: 50, ...extra },
    10_000,
  );

const valueOf = (ev: GatttoolEvent): Buffer | undefined =>
  ev.kind === 'value' ? ev.value : undefined;
const O = (what: string, timeoutMs = 5000) => ({ what, timeoutMs });

async function connectOn(s: GatttoolSession, reasons: DisconnectReason[]) {
  await s.command(
    'connect 00:AA:01:01:00:05 public',
    { needsLink: false, result: (ev) => (ev.kind === 'connected' ? true : undefined) },
    O('connect'),
  );
  return new GatttoolConnection(
    s,
    '00:AA:01:01:00:05',
    'public',
    { onDisconnect: (r) => reasons.push(r), onServicesChanged: () => undefined },
    { operationTimeoutMs: 5000, discoveryTimeoutMs: 5000 },
    () => undefined,
  );
}

describe('gatttool session (fake gatttool)', () => {
  let s: GatttoolSession;
  let conn: GatttoolConnection;
  const reasons: DisconnectReason[] = [];
  const seen: GatttoolEvent[] = [];

  before(async () => {
    s = await open({ logFile: LOG });
    s.onEvent((ev) => seen.push(ev));
  });
  after(async () => {
    await s.close();
  });

  test('synchronous commands resolve with their own output', async () => {
    assert.deepEqual(await s.command('sec-level', {}, O('sec-level')), [
      { kind: 'secLevel', level: 'low' },
    ]);
    assert.equal(s.connected, false);
  });

  test('gatttool errors become typed errors; bad lines never reach gatttool', async () => {
    await assert.rejects(
      s.command('char-read-hnd 0x0003', { result: valueOf }, O('read')),
      NotConnectedError,
    );
    await assert.rejects(s.command('bogus', {}, O('bogus')), InvalidArgumentError);
    assert.throws(() => s.sendRaw('sec-level\nexit'), InvalidArgumentError);
    await assert.rejects(s.command('x\u001b[A', {}, O('esc')), InvalidArgumentError);
    await assert.rejects(
      s.command(
        'connect 00:AA:01:01:00:01 public',
        { needsLink: false, result: (ev) => (ev.kind === 'connected' ? 1 : undefined) },
        O('connect'),
      ),
      NotConnectedError,
    );
  });

  test('a connect nobody answers times out', async () => {
    const t0 = Date.now();
    await assert.rejects(
      s.command(
        'connect 00:AA:01:01:00:02 public',
        { needsLink: false, result: (ev) => (ev.kind === 'connected' ? 1 : undefined) },
        O('connect', 300),
      ),
      TimeoutError,
    );
    assert.ok(Date.now() - t0 < 2000);
    await s.command('disconnect', { needsLink: false }, O('disconnect'));
  });

  test('connect shows in the prompt colour; discovery assembles the database, secondary services too', async () => {
    conn = await connectOn(s, reasons);
    assert.equal(s.connected, true);
    const services = await conn.discover(false);
    assert.deepEqual(
      services.map((x) => [
        x.uuid,
        x.primary,
        x.startHandle,
        x.endHandle,
        x.characteristics.length,
      ]),
      [
        ['00001800-0000-1000-8000-00805f9b34fb', true, 1, 5, 2],
        ['0000c000-b1e0-4000-8000-626c656b6974', true, 6, 9, 1],
        // Only in char-desc: its UUID is read from its declaration at 0x000a.
        ['0000c001-b1e0-4000-8000-626c656b6974', false, 10, 0xffff, 1],
      ],
    );
    assert.equal(services[2]!.characteristics[0]!.valueHandle, 0x0c);
    const seq = services[1]!.characteristics[0]!;
    assert.equal(seq.valueHandle, 8);
    assert.equal(seq.properties.notify, true);
    assert.deepEqual(seq.descriptors, [
      { uuid: '00002902-0000-1000-8000-00805f9b34fb', handle: 9 },
    ]);
    assert.equal(await conn.discover(false), services, 'cached');
  });

  test('reads resolve with the value; notifications interleaved reach subscribers first', async () => {
    const seq = (await conn.discover(false))[1]!.characteristics[0]!;
    const got: string[] = [];
    await conn.subscribe(seq, { indicate: false, forceStartNotify: false }, (v) =>
      got.push(`n:${v.toString('hex')}`),
    );
    const v = await conn.readDescriptor(3);
    got.push(`r:${v.toString('hex')}`);
    assert.deepEqual(got, ['n:01000000', 'r:6869']);
    assert.ok(seen.some((e) => e.kind === 'notification' && e.indication && e.handle === 0x12));
    await conn.unsubscribe(seq);
  });

  test('ATT errors keep their code; writes with and without response; MTU once', async () => {
    await assert.rejects(conn.readDescriptor(0x99), (e: unknown) => {
      assert.ok(e instanceof AttError);
      assert.equal(e.attCode, 0x02);
      return true;
    });
    const c = (await conn.discover(false))[0]!.characteristics[0]!;
    await conn.write(c, Buffer.from([1, 2]), true);
    await conn.write(c, Buffer.from([3]), false);
    await assert.rejects(conn.write(c, Buffer.alloc(0), true), NotSupportedError);
    assert.equal(conn.mtu(), 23);
    assert.equal(await conn.exchangeMtu(247), 64);
    assert.equal(await conn.exchangeMtu(100), 64);
    await assert.rejects(conn.rssi(), NotSupportedError);
  });

  test('a timed-out read does not hand its late answer to the next read', async () => {
    await assert.rejects(
      conn.session.command('char-read-hnd 0x0077', { result: valueOf }, O('slow', 200)),
      TimeoutError,
    );
    assert.deepEqual(await conn.readDescriptor(3), Buffer.from('hi'));
  });

  test('a silently dropped link is noticed and fails the pending read', async () => {
    const pending = conn.readDescriptor(0x77);
    s.sendRaw('drop');
    await assert.rejects(pending, NotConnectedError);
    assert.equal(conn.connected, false);
    assert.deepEqual(reasons, ['remote']);
  });

  test('the log file holds the conversation', () => {
    const log = readFileSync(LOG, 'utf8');
    for (const want of [
      'gatttool -i hci0 -I',
      'connect 00:AA:01:01:00:05 public',
      'Connection successful',
      'Characteristic value/descriptor: 68 69',
      'Notification handle = 0x0008 value: 01 00 00 00',
      '\u001b[0;94m[00:AA:01:01:00:05]',
    ]) {
      assert.ok(log.includes(want), `log lacks ${JSON.stringify(want)}`);
    }
  });
});

describe('gatttool session lifetime', () => {
  test('killing gatttool mid-read rejects at once with NotConnectedError', async () => {
    const s = await open();
    const reasons: DisconnectReason[] = [];
    const conn = await connectOn(s, reasons);
    const t0 = Date.now();
    const pending = conn.readDescriptor(0x77);
    setTimeout(() => s.kill(), 100);
    await assert.rejects(pending, NotConnectedError);
    assert.ok(Date.now() - t0 < 1000, `${Date.now() - t0} ms`);
    await s.exited();
    assert.equal(s.alive, false);
    assert.deepEqual(reasons, ['unknown']);
    await assert.rejects(s.command('sec-level', {}, O('after')), NotConnectedError);
  });

  test('close() ends the process', async () => {
    const s = await open({ dieWithParent: false });
    const pid = s.pid as number;
    await s.close();
    assert.equal(s.alive, false);
    assert.throws(() => process.kill(pid, 0));
  });

  test('a missing gatttool is a NotFoundError', async () => {
    await assert.rejects(
      GatttoolSession.open(
        { gatttool: join(dir, 'nope'), adapter: 'hci0', dieWithParent: false },
        2000,
      ),
      { name: 'NotFoundError' },
    );
  });
});
