import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  AbortError,
  BleError,
  InvalidArgumentError,
  NotSupportedError,
  PermissionError,
  TimeoutError,
} from '../../../src/core/errors.js';
import { controlSocketError } from '../../../src/native/hci.js';
import { encodeEvent, encodeReply } from '../../../src/mgmt/frame.js';
import { Mgmt, MgmtError } from '../../../src/mgmt/index.js';
import type { MgmtEvent } from '../../../src/mgmt/types.js';
import { setLogger } from '../../../src/core/log.js';
import { FakeKernel } from './fake-kernel.js';

const settings = (s: string[]): Buffer =>
  encodeReply('SetPowered', { currentSettings: s as never });
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

test('send encodes the command and resolves with the decoded reply', async () => {
  const k = new FakeKernel();
  k.onCommand = (c) => k.complete(c.code, c.index, 0, settings(['powered', 'le']));
  const m = new Mgmt(k);
  const r = await m.send('SetPowered', 1, { powered: true });
  assert.deepEqual(r.currentSettings, ['powered', 'le']);
  assert.equal(k.sent[0]?.name, 'SetPowered');
  assert.equal(k.sent[0]?.index, 1);
  assert.deepEqual(k.sent[0]?.params, { powered: 1 });
  m.close();
});

test('non-controller commands default to index 0xFFFF; controller commands need one', async () => {
  const k = new FakeKernel();
  k.onCommand = (c) => k.complete(c.code, c.index, 0, Buffer.from([1, 22, 0]));
  const m = new Mgmt(k);
  assert.deepEqual(await m.send('ReadManagementVersionInformation', undefined), {
    version: 1,
    revision: 22,
  });
  assert.equal(k.sent[0]?.index, 0xffff);
  await assert.rejects(m.send('ReadControllerInformation', undefined), InvalidArgumentError);
  m.close();
});

test('replies are matched by opcode and index when several are in flight', async () => {
  const k = new FakeKernel();
  const m = new Mgmt(k);
  const a = m.send('SetPowered', 0, { powered: true });
  const b = m.send('SetPowered', 1, { powered: false });
  const c = m.send('SetConnectable', 0, { connectable: true });
  await tick();
  assert.equal(k.sent.length, 3);
  // answered in reverse order
  k.complete(0x0007, 0, 0, settings(['connectable']));
  k.complete(0x0005, 1, 0, settings([]));
  k.complete(0x0005, 0, 0, settings(['powered']));
  assert.deepEqual((await a).currentSettings, ['powered']);
  assert.deepEqual((await b).currentSettings, []);
  assert.deepEqual((await c).currentSettings, ['connectable']);
  m.close();
});

test('requests with the same opcode and index go out one at a time', async () => {
  const k = new FakeKernel();
  const m = new Mgmt(k);
  const a = m.send('SetPowered', 0, { powered: true });
  const b = m.send('SetPowered', 0, { powered: false });
  await tick();
  assert.equal(k.sent.length, 1);
  k.complete(5, 0, 0, settings(['powered']));
  assert.deepEqual((await a).currentSettings, ['powered']);
  await tick();
  assert.equal(k.sent.length, 2);
  assert.deepEqual(k.sent[1]?.params, { powered: 0 });
  k.complete(5, 0, 0, settings([]));
  assert.deepEqual((await b).currentSettings, []);
  m.close();
});

test('a failure status rejects with MgmtError carrying the status and its name', async () => {
  const k = new FakeKernel();
  k.onCommand = (c) => k.status(c.code, c.index, 0x11);
  const m = new Mgmt(k);
  const err = await m.send('SetPowered', 7, { powered: true }).catch((e: unknown) => e);
  assert.ok(err instanceof MgmtError);
  assert.ok(err instanceof BleError);
  assert.equal(err.status, 0x11);
  assert.equal(err.statusName, 'Invalid Index');
  assert.equal(err.command, 'SetPowered');
  assert.match(err.message, /SetPowered on index 7 failed: Invalid Index \(0x11\)/);
  k.onCommand = (c) => k.complete(c.code, c.index, 0x0d, Buffer.from([1]));
  const e2 = await m.send('RemoveAdvertising', 0, { instance: 1 }).catch((e: unknown) => e);
  assert.ok(e2 instanceof MgmtError && e2.statusName === 'Invalid Parameters');
  m.close();
});

test('a malformed reply rejects with DecodeError', async () => {
  const k = new FakeKernel();
  k.onCommand = (c) => k.complete(c.code, c.index, 0, Buffer.from([1]));
  const m = new Mgmt(k);
  await assert.rejects(m.send('SetPowered', 0, { powered: true }), { name: 'DecodeError' });
  m.close();
});

test('bad parameters reject before anything is written', async () => {
  const k = new FakeKernel();
  const m = new Mgmt(k);
  await assert.rejects(m.send('SetPowered', 0, { powered: 'x' } as never), InvalidArgumentError);
  await assert.rejects(m.send('SetPowered', -1, { powered: true }), InvalidArgumentError);
  await assert.rejects(
    m.send('SetPowered', 0, { powered: true }, { timeoutMs: -5 }),
    InvalidArgumentError,
  );
  assert.equal(k.sent.length, 0);
  m.close();
});

test('timeout: TimeoutError, the late reply is swallowed, the next request gets its own', async () => {
  const k = new FakeKernel();
  const m = new Mgmt(k);
  const a = m.send('SetPowered', 0, { powered: true }, { timeoutMs: 20 });
  const b = m.send('SetPowered', 0, { powered: false });
  await assert.rejects(a, TimeoutError);
  assert.equal(k.sent.length, 1, 'b waits for a reply to a');
  k.complete(5, 0, 0, settings(['powered'])); // late reply to a
  await tick();
  assert.equal(k.sent.length, 2);
  k.complete(5, 0, 0, settings([]));
  assert.deepEqual((await b).currentSettings, []);
  m.close();
});

test('abort: queued requests never go out; sent ones reject with AbortError', async () => {
  const k = new FakeKernel();
  const m = new Mgmt(k);
  const ac1 = new AbortController();
  const ac2 = new AbortController();
  const a = m.send('SetPowered', 0, { powered: true }, { signal: ac1.signal });
  const b = m.send('SetPowered', 0, { powered: false }, { signal: ac2.signal });
  ac2.abort();
  await assert.rejects(b, AbortError);
  ac1.abort();
  await assert.rejects(a, AbortError);
  assert.equal(k.sent.length, 1);
  const pre = new AbortController();
  pre.abort();
  await assert.rejects(
    m.send('SetPowered', 1, { powered: true }, { signal: pre.signal }),
    AbortError,
  );
  assert.equal(k.sent.length, 1);
  m.close();
});

test('typed events through on() and through async iterators, filtered by index', async () => {
  const k = new FakeKernel();
  const m = new Mgmt(k);
  const seen: MgmtEvent<'NewSettings'>[] = [];
  m.on('NewSettings', (ev) => seen.push(ev));
  const it = m.events('NewSettings', { index: 1 });
  k.deliver(encodeEvent('NewSettings', 0, { currentSettings: ['le'] }));
  k.deliver(encodeEvent('NewSettings', 1, { currentSettings: ['powered', 'le'] }));
  k.deliver(encodeEvent('IndexAdded', 2, {}));
  assert.equal(seen.length, 2);
  const first = await it.next();
  assert.equal(first.done, false);
  assert.equal(first.value?.index, 1);
  assert.deepEqual(first.value?.params.currentSettings, ['powered', 'le']);
  await it.return?.();
  m.close();
});

test('waitFor resolves on a matching event and times out otherwise', async () => {
  const k = new FakeKernel();
  const m = new Mgmt(k);
  const w = m.waitFor('DeviceFound', (ev) => ev.params.address === '00:AA:01:01:00:01', {
    timeoutMs: 1000,
  });
  const found = (address: string): Buffer =>
    encodeEvent('DeviceFound', 0, {
      address,
      addressType: 'le-public',
      rssi: -50,
      flags: [],
      eirData: Buffer.from([2, 1, 6]),
    });
  k.deliver(found('11:22:33:44:55:66'));
  k.deliver(found('00:AA:01:01:00:01'));
  const ev = await w;
  assert.equal(ev.params.eirData.ad?.flags, 6);
  await assert.rejects(m.waitFor('NewSettings', undefined, { timeoutMs: 20 }), TimeoutError);
  m.close();
});

test('unknown events come raw; undecodable frames go to decodeError and the socket lives on', async () => {
  const k = new FakeKernel();
  const m = new Mgmt(k);
  const raw: number[] = [];
  const bad: string[] = [];
  m.on('Unknown', (ev) => raw.push(ev.code));
  m.on('decodeError', (e) => bad.push(e.name));
  k.deliver(Buffer.from('ff000000 0000'.replace(/ /g, ''), 'hex'));
  k.deliver(Buffer.from('0600000004000100', 'hex'));
  assert.deepEqual(raw, [0xff]);
  assert.deepEqual(bad, ['DecodeError']);
  k.onCommand = (c) => k.complete(c.code, c.index, 0, settings(['powered']));
  assert.deepEqual((await m.send('SetPowered', 0, { powered: true })).currentSettings, ['powered']);
  m.close();
});

test('close rejects pending requests, ends iterators and closes the socket', async () => {
  const k = new FakeKernel();
  const m = new Mgmt(k);
  const p = m.send('SetPowered', 0, { powered: true });
  const it = m.events('*');
  const next = it.next();
  m.close();
  await assert.rejects(p, { code: 'ERR_MGMT_CLOSED' });
  assert.deepEqual(await next, { value: undefined, done: true });
  assert.equal(k.closed, true);
  await assert.rejects(m.send('SetPowered', 0, { powered: true }), { code: 'ERR_MGMT_CLOSED' });
  m.close();
});

test('a socket error closes everything with the cause', async () => {
  const k = new FakeKernel();
  const m = new Mgmt(k);
  const errors: Error[] = [];
  m.on('error', (e) => errors.push(e));
  const p = m.send('SetPowered', 0, { powered: true });
  k.breakSocket(new Error('ENODEV'));
  await assert.rejects(p, { code: 'ERR_MGMT_SOCKET' });
  assert.equal(errors.length, 1);
  assert.equal(m.closed, true);
});

test('a failed write rejects that request only', async () => {
  const k = new FakeKernel();
  const m = new Mgmt(k);
  k.failWrites = true;
  await assert.rejects(m.send('SetPowered', 0, { powered: true }), /EIO/);
  k.failWrites = false;
  k.onCommand = (c) => k.complete(c.code, c.index, 0, settings([]));
  assert.deepEqual((await m.send('SetPowered', 0, { powered: false })).currentSettings, []);
  m.close();
});

test('a slow iterator consumer gets an overflow error, not an unbounded queue', async () => {
  const k = new FakeKernel();
  const m = new Mgmt(k);
  const it = m.events('NewSettings', { bufferSize: 3 });
  for (let i = 0; i < 5; i++) k.deliver(encodeEvent('NewSettings', 0, { currentSettings: [] }));
  await assert.rejects(it.next(), { code: 'ERR_MGMT_OVERFLOW' });
  m.close();
});

test('an aborted iterator throws AbortError', async () => {
  const k = new FakeKernel();
  const m = new Mgmt(k);
  const ac = new AbortController();
  const it = m.events(['NewSettings', 'IndexAdded'], { signal: ac.signal });
  const p = it.next();
  ac.abort();
  await assert.rejects(p, AbortError);
  assert.throws(() => m.events('Nope' as never), InvalidArgumentError);
  assert.throws(() => m.on('Nope' as never, (() => {}) as never), InvalidArgumentError);
  m.close();
});

test('Mgmt.open either opens or fails with a typed error, whatever this machine has', async () => {
  // Hosts differ (no AF_BLUETOOTH here, Bluetooth in the lab, no CAP_NET_ADMIN elsewhere): each
  // outcome is checked for what it must be; the errno mapping itself is tested below.
  let m: Mgmt | undefined;
  try {
    m = await Mgmt.open();
  } catch (e) {
    assert.ok(e instanceof NotSupportedError || e instanceof PermissionError, String(e));
    return;
  }
  m.close();
});

test('control socket errors are typed by errno', () => {
  const errno = (n: number) => Object.assign(new Error(`errno ${n}`), { errno: n });
  assert.ok(controlSocketError(errno(97)) instanceof NotSupportedError);
  assert.ok(controlSocketError(errno(1)) instanceof PermissionError);
  assert.ok(controlSocketError(errno(13)) instanceof PermissionError);
  const other = controlSocketError(errno(24));
  assert.equal(other.code, 'ERR_MGMT_SOCKET');
  assert.match(other.message, /errno 24/);
  assert.equal((other as Error & { cause?: unknown }).cause instanceof Error, true);
});

test('the mgmt trace names each command sent and each reply, and using disposes', async () => {
  const records: string[] = [];
  setLogger((r) => {
    if (r.area === 'mgmt') records.push(r.message);
  });
  try {
    const k = new FakeKernel();
    k.onCommand = (c) => k.complete(c.code, c.index, 0, settings(['powered']));
    {
      using m = new Mgmt(k);
      await m.send('SetPowered', 0, { powered: true });
    }
    assert.deepEqual(records, [
      '-> SetPowered index 0',
      '<- CommandComplete index 0 (opcode 0x0005, status 0)',
      'closed: The mgmt socket is closed',
    ]);
  } finally {
    setLogger(undefined);
  }
});
