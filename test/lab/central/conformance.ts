// The central conformance suite, written once and run per backend and per peer:
// test files call centralConformance(backendFactory, peerFactory).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Central, type Device } from '../../../src/central/index.js';
import { withTimeout } from '../../../src/core/index.js';
import type { CentralBackendFactory } from '../../../src/central/backend.js';
import type { ScanResult } from '../../../src/central/types.js';
import { assertInLab, btmgmt } from '../../support/proc.js';
import { freshStack, restoreDefaultStack } from '../../support/stack.js';
import { CONFORMANCE as C, READ_VALUE, type ConformancePeer, type PeerFactory } from './peer.js';
import { sequenceReport } from './sequence.js';
import { connectWhileAdvertising } from './advertised-connect.js';

const NOTIFICATIONS = 1000;
/**
 * The longest value a BlueZ 5.66 GATT server accepts in one Write Request: its length check
 * counts the 2-byte handle with the value (fixed in BlueZ 5.69, commit 8bf3a4a26), so 511 and
 * 512 bytes come back as 0x0d before the application sees them. Both peers run on 5.66.
 */
const LONGEST_WRITE = 510;
/** Every test has a hard limit so a hung call fails the test instead of the whole run. */
const T = { timeout: 240_000 };
/** Credits outstanding at most: the peer may run this far ahead of the central. */
const CREDIT_WINDOW = 100;

function credits(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n);
  return b;
}

/** Waits for `cond` (checked on every call of the returned poke) with a hard time limit. */
function until(cond: () => boolean, ms: number, what: () => string) {
  let done!: () => void;
  let fail!: (e: Error) => void;
  const p = new Promise<void>((res, rej) => ((done = res), (fail = rej)));
  const t = setTimeout(() => fail(new Error(`${what()}: timed out after ${ms} ms`)), ms);
  const poke = (): void => {
    if (cond()) {
      clearTimeout(t);
      done();
    }
  };
  poke();
  // A failure before anyone awaits the promise must not surface as an unhandled rejection.
  void p.catch(() => undefined);
  return { promise: p, poke, cancel: () => clearTimeout(t) };
}

/**
 * Streams `total` sequence numbers through the credit protocol and returns what arrived.
 * The central grants credits as values arrive, so the peer never floods the link.
 */
async function streamSequence(device: Device, total: number, ms: number, force = false) {
  const a: number[] = [];
  const b: number[] = [];
  let granted = 0;
  const failedGrants: string[] = [];
  const grant = (): void => {
    const want = Math.min(total, a.length + CREDIT_WINDOW) - granted;
    if (want >= CREDIT_WINDOW / 2 || (want > 0 && granted + want === total)) {
      granted += want;
      // Not awaited (the stream must keep flowing), but a failed grant is named on timeout.
      device.write(C.credits, credits(want)).catch((e: unknown) => {
        failedGrants.push(`${want} credits: ${(e as Error).message}`);
      });
    }
  };
  const wait = until(
    () => a.length >= total,
    ms,
    () =>
      `${total} notifications (got ${a.length} of ${granted} granted; ` +
      `failed grants: ${failedGrants.join('; ') || 'none'})`,
  );
  let offA: (() => Promise<void>) | undefined;
  let offB: (() => Promise<void>) | undefined;
  try {
    offA = await device.subscribe(
      C.seq,
      (v) => {
        a.push(v.readUInt32LE(0));
        grant();
        wait.poke();
      },
      { forceStartNotify: force },
    );
    offB = await device.subscribe(C.seq, (v) => b.push(v.readUInt32LE(0)));
    await device.write(C.credits, Buffer.from([0xff, 0xff, 0xff, 0xff]));
    grant();
    await wait.promise;
  } finally {
    wait.cancel();
    await offB?.();
    await offA?.();
  }
  return { a, b };
}

/** Transport counters of backends that keep them (the D-Bus backend's pathStats). */
interface PathStats {
  acquiredNotify: number;
  startNotify: number;
  acquiredWrites: number;
  dbusWrites: number;
  lastFallback?: string;
  /** Whether write commands may take several bearers (set once one was written). */
  eatt?: boolean;
}

/** Without a response nothing says when the peer has a command: poll the echo briefly. */
async function echoed(d: Device, want: string): Promise<void> {
  let back = '';
  for (let i = 0; i < 50 && back !== want; i++) {
    back = (await d.read(C.echo)).toString();
    if (back !== want) await sleep(100);
  }
  assert.equal(back, want);
}

function pathStats(central: Central, address: string): PathStats | undefined {
  const b = central.backend as { pathStats?: (a: string) => PathStats | undefined };
  if (typeof b.pathStats !== 'function') return undefined;
  const s = b.pathStats(address);
  assert.ok(s, `the backend keeps transport stats but has none for ${address}`);
  return { ...s };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Streams NOTIFICATIONS values and checks none is lost or repeated on either callback; with
 * `ordered` also that they came in order. Returns the report line for the log.
 */
async function notificationRun(
  central: Central,
  device: Device,
  peer: ConformancePeer,
  how: 'acquire' | 'forceStartNotify',
  ordered: boolean,
): Promise<string> {
  const before = pathStats(central, peer.address);
  // A database change mid-stream (BlueZ re-resolving) must not cost values: counted for the log.
  let changes = 0;
  const onChange = (): void => void changes++;
  device.on('servicesChanged', onChange);
  const t0 = Date.now();
  const { a, b } = await streamSequence(
    device,
    NOTIFICATIONS,
    180_000,
    how === 'forceStartNotify',
  ).finally(() => device.off('servicesChanged', onChange));
  const ms = Date.now() - t0;
  const after = pathStats(central, peer.address);
  const ra = sequenceReport(a, NOTIFICATIONS);
  const rb = sequenceReport(b, NOTIFICATIONS);
  for (const [name, r] of [
    ['first callback', ra],
    ['second callback', rb],
  ] as const) {
    assert.deepEqual(r.missing, [], `${name}: lost values`);
    assert.deepEqual(r.duplicates, [], `${name}: duplicated values`);
    assert.deepEqual(r.unexpected, [], `${name}: values never sent`);
    if (ordered) assert.equal(r.outOfOrder, 0, `${name}: ${r.outOfOrder} values out of order`);
  }
  if (before && after) {
    // Which transport carried the values: AcquireNotify's fd or PropertiesChanged signals.
    if (how === 'acquire') {
      assert.equal(
        after.acquiredNotify - before.acquiredNotify,
        1,
        `not via AcquireNotify (${after.lastFallback ?? 'no fallback recorded'})`,
      );
      assert.equal(after.startNotify, before.startNotify);
    } else {
      assert.equal(after.startNotify - before.startNotify, 1, 'not via StartNotify');
      assert.equal(after.acquiredNotify, before.acquiredNotify);
    }
  }
  return (
    `${NOTIFICATIONS} notifications via ${how} in ${ms} ms ` +
    `(${Math.round((NOTIFICATIONS * 1000) / ms)}/s); out of order: ${ra.outOfOrder} ` +
    `(first callback), ${rb.outOfOrder} (second); database changes meanwhile: ${changes}`
  );
}

export function centralConformance(
  backendName: string,
  backend: CentralBackendFactory,
  peerFactory: PeerFactory,
): void {
  const peer = peerFactory();
  const title = `central conformance: ${backendName} backend against ${peer.name}`;

  describe(`${title} (default stack, EATT on)`, () => {
    let central: Central;
    let device: Device | undefined;
    /** Filled by a callback subscribed before the power cycle: proves the restore. */
    const persistent: number[] = [];

    before(async () => {
      assertInLab();
      await peer.start();
      central = new Central({ backend: backend(), adapter: 'hci0' });
      await central.start();
    });

    after(async () => {
      await device?.disconnect().catch(() => undefined);
      await central?.stop().catch(() => undefined);
      await btmgmt(['-i', peer.hci, 'power', 'on']);
      await peer.stop();
      await btmgmt(['-i', peer.hci, 'advertising', 'off']);
    });

    test('scan finds the peer with its advertising data parsed', T, async () => {
      const seen: ScanResult[] = [];
      central.on('discover', (r: ScanResult) => seen.push(r));
      let found: ScanResult | undefined;
      const started = new Promise<void>((r) => central.once('scanStart', r));
      const stream = (async () => {
        for await (const r of central.scanStream({
          durationMs: 30_000,
          addresses: [peer.address],
        })) {
          // Reports can arrive before the scan response: wait for one the peer recognises.
          try {
            peer.checkAdvertisement(r.advertisement, r.name);
          } catch {
            continue;
          }
          found = r;
          break;
        }
      })();
      // btvirt sends one report per advertising enable: scan first, then advertise, and
      // advertise again every few seconds until the scan has seen the peer.
      await started;
      let over = false;
      void stream.then(
        () => (over = true),
        () => (over = true),
      );
      while (!over) {
        await peer.advertise(true);
        for (let i = 0; i < 30 && !over; i++) await sleep(100);
      }
      await stream;
      assert.ok(found, `peer not found; saw ${seen.map((r) => r.address).join(', ')}`);
      assert.equal(found.address, peer.address);
      assert.equal(found.addressType, 'public');
      // btvirt's reports carry HCI's "RSSI not available" (127): that is no reading, so no
      // report may surface it as 127 dBm; a real reading lies in HCI's -127..20.
      for (const r of [...seen, found]) {
        assert.notEqual(r.rssi, 127, `${r.address} reported RSSI 127 ("not available") as dBm`);
        if (r.rssi !== undefined) assert.ok(r.rssi >= -127 && r.rssi <= 20, `rssi ${r.rssi}`);
      }
      peer.checkAdvertisement(found.advertisement, found.name);
      // The list form with a name filter (pygatt's filtered_scan) sees it too.
      const listed = central.filteredScan(found.name as string, { durationMs: 8_000 });
      await sleep(1_000);
      await peer.advertise(true);
      const list = await listed;
      assert.deepEqual(
        list.map((r) => r.address),
        [peer.address],
      );
    });

    test(
      'connects and discovers services, characteristics and descriptors with handles',
      T,
      async () => {
        const disconnects: string[] = [];
        device = await central.connect(peer.address, {
          timeoutMs: 60_000,
          addressType: 'public',
          autoReconnect: { initialDelayMs: 500, maxDelayMs: 3_000 },
        });
        device.registerDisconnectCallback((_d, reason) => disconnects.push(reason));
        device.on('reconnectFailed', (e: Error, n: number) =>
          console.log(`# reconnect attempt ${n} failed: ${e.message}`),
        );
        assert.equal(device.connected, true);
        const services = await device.discover();
        const svc = services.find((s) => s.uuid === C.service);
        assert.ok(svc, `no conformance service in ${services.map((s) => s.uuid).join(', ')}`);
        assert.deepEqual(
          svc.characteristics.map((c) => c.uuid),
          [C.read, C.echo, C.seq, C.credits],
        );
        for (const c of svc.characteristics) {
          assert.equal(c.valueHandle, c.handle + 1);
          assert.ok(c.handle > svc.startHandle && c.valueHandle <= svc.endHandle);
          assert.equal(await device.characteristic({ handle: c.valueHandle }), c);
          assert.equal(
            await device.characteristic({ service: C.service, characteristic: c.uuid }),
            c,
          );
        }
        const seq = svc.characteristics[2]!;
        assert.equal(seq.properties.notify, true);
        assert.ok(
          seq.descriptors.some((d) => d.uuid === '00002902-0000-1000-8000-00805f9b34fb'),
          'the notify characteristic has a CCCD',
        );
        assert.ok(device.mtu >= 23);
        assert.deepEqual(disconnects, []);
      },
    );

    test('reads and writes, with and without response, up to 510 bytes', T, async () => {
      const d = device as Device;
      const before = pathStats(central, peer.address);
      assert.deepEqual(await d.read(C.read), READ_VALUE);
      await d.write(C.echo, Buffer.from('with response'));
      assert.equal((await d.read(C.echo)).toString(), 'with response');
      // ordered: false takes the fast path (the AcquireWrite socket) whatever the bearers.
      await d.write(C.echo, Buffer.from('without'), { withoutResponse: true, ordered: false });
      await echoed(d, 'without');
      const after = pathStats(central, peer.address);
      if (before && after) {
        assert.equal(
          after.acquiredWrites - before.acquiredWrites,
          1,
          `the command did not go through AcquireWrite (${after.lastFallback ?? '-'})`,
        );
      }
      // By default order is kept: the socket only where the link has one ATT bearer.
      await d.write(C.echo, Buffer.from('in order'), { withoutResponse: true });
      await echoed(d, 'in order');
      const last = pathStats(central, peer.address);
      if (after && last) {
        const socket = last.eatt === false;
        assert.equal(
          last.acquiredWrites - after.acquiredWrites,
          socket ? 1 : 0,
          `ordered command over ${socket ? 'one bearer' : 'EATT'}: ${last.lastFallback ?? '-'}`,
        );
      }
      const big = pattern(LONGEST_WRITE);
      await d.write({ service: C.service, characteristic: C.echo }, big);
      assert.deepEqual(await d.read(C.echo), big, `${big.length}-byte round trip at MTU ${d.mtu}`);
      // By handle, like gatttool users do.
      const echo = await d.characteristic(C.echo);
      await d.write({ handle: echo.valueHandle }, [1, 2, 3]);
      assert.deepEqual(await d.read({ handle: echo.valueHandle }), Buffer.from([1, 2, 3]));
    });

    test('overlapping writes to one characteristic all succeed, in call order', T, async () => {
      // BlueZ keeps one pending write per characteristic ("In Progress" for a second one):
      // a backend has to queue them rather than hand that failure to the caller.
      const d = device as Device;
      const values = ['one', 'two', 'three', 'four'].map((v) => Buffer.from(v));
      await Promise.all(values.map((v) => d.write(C.echo, v)));
      assert.equal((await d.read(C.echo)).toString(), 'four');
    });

    for (const how of ['acquire', 'forceStartNotify'] as const) {
      test(
        `${NOTIFICATIONS} notifications via ${how} over EATT: none lost or repeated`,
        T,
        async () => {
          const line = await notificationRun(central, device as Device, peer, how, false);
          console.log(`# EATT on: ${line}`);
        },
      );
    }

    test('the disconnect callback fires when the peer controller powers off', T, async () => {
      const d = device as Device;
      const reasons: string[] = [];
      const fired = new Promise<void>((resolve) =>
        d.registerDisconnectCallback((_dev, reason) => {
          reasons.push(reason);
          resolve();
        }),
      );
      await d.subscribe(C.seq, (v) => persistent.push(v.readUInt32LE(0)));
      // Advertising off first: btvirt's controller keeps advertising (and accepting links) at
      // the emulator level after a power-off, and a link to it would hang the reconnect.
      await peer.advertise(false);
      await btmgmt(['-i', peer.hci, 'power', 'off']);
      await withTimeout(fired, 60_000, 'the disconnect callback');
      assert.deepEqual(reasons, ['remote']);
      assert.equal(d.connected, false);
    });

    test('auto-reconnect comes back and restores the subscription', T, async () => {
      const d = device as Device;
      const reconnected = new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('no reconnect in 120 s')), 120_000);
        d.once('reconnect', () => {
          clearTimeout(t);
          resolve();
        });
      });
      await btmgmt(['-i', peer.hci, 'power', 'on']);
      // A fresh advertising enable gives the reconnecting central a report to connect on;
      // repeat it in case the central was between attempts.
      let back = false;
      void reconnected.then(
        () => (back = true),
        () => (back = true),
      );
      for (let i = 0; i < 12 && !back; i++) {
        await peer.advertise(true);
        for (let j = 0; j < 100 && !back; j++) await sleep(100);
      }
      await reconnected;
      await peer.advertise(false);
      assert.equal(d.connected, true);
      // The callback subscribed before the power cycle gets values again without a new subscribe.
      persistent.length = 0;
      await d.write(C.credits, Buffer.from([0xff, 0xff, 0xff, 0xff]));
      await d.write(C.credits, credits(20));
      const deadline = Date.now() + 60_000;
      while (persistent.length < 20 && Date.now() < deadline) await sleep(100);
      // EATT gives no order across bearers: compare as a set.
      assert.deepEqual(
        [...persistent].sort((x, y) => x - y),
        Array.from({ length: 20 }, (_, i) => i),
      );
    });
  });

  describe(`${title} (fresh stack: EATT off)`, () => {
    let central: Central | undefined;
    let device: Device | undefined;

    before(async () => {
      assertInLab();
      await freshStack({ gattChannels: 1 });
      await peer.start();
      central = new Central({ backend: backend(), adapter: 'hci0' });
      await central.start();
      device = await connectWhileAdvertising(central, peer);
      await device.discover();
    });

    after(async () => {
      await device?.disconnect().catch(() => undefined);
      await central?.stop().catch(() => undefined);
      await peer.stop().catch(() => undefined);
      await restoreDefaultStack();
    });

    for (const how of ['acquire', 'forceStartNotify'] as const) {
      test(
        `${NOTIFICATIONS} notifications via ${how} on one bearer: all, in order`,
        T,
        async () => {
          const line = await notificationRun(central as Central, device as Device, peer, how, true);
          console.log(`# EATT off: ${line}`);
        },
      );
    }
  });
}

function pattern(n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7) & 0xff;
  return b;
}
