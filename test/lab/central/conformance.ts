// The central conformance suite, written once and run per backend and per peer:
// test files call centralConformance(backendFactory, peerFactory).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Central, type Device } from '../../../src/central/index.js';
import type { CentralBackendFactory } from '../../../src/central/backend.js';
import type { ScanResult } from '../../../src/central/types.js';
import { assertInLab, btmgmt } from '../../support/proc.js';
import { CONFORMANCE as C, READ_VALUE, type PeerFactory } from './peer.js';

const NOTIFICATIONS = 1000;
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
function until(cond: () => boolean, ms: number, what: string) {
  let done!: () => void;
  let fail!: (e: Error) => void;
  const p = new Promise<void>((res, rej) => ((done = res), (fail = rej)));
  const t = setTimeout(() => fail(new Error(`${what}: timed out after ${ms} ms`)), ms);
  const poke = (): void => {
    if (cond()) {
      clearTimeout(t);
      done();
    }
  };
  poke();
  return { promise: p, poke };
}

/**
 * Streams `total` sequence numbers through the credit protocol and returns what arrived.
 * The central grants credits as values arrive, so the peer never floods the link.
 */
async function streamSequence(device: Device, total: number, ms: number, force = false) {
  const a: number[] = [];
  const b: number[] = [];
  let granted = 0;
  const grant = (): void => {
    const want = Math.min(total, a.length + CREDIT_WINDOW) - granted;
    if (want >= CREDIT_WINDOW / 2 || (want > 0 && granted + want === total)) {
      granted += want;
      device.write(C.credits, credits(want)).catch(() => undefined);
    }
  };
  const wait = until(() => a.length >= total, ms, `${total} notifications (got ${a.length})`);
  const offA = await device.subscribe(
    C.seq,
    (v) => {
      a.push(v.readUInt32LE(0));
      grant();
      wait.poke();
    },
    { forceStartNotify: force },
  );
  const offB = await device.subscribe(C.seq, (v) => b.push(v.readUInt32LE(0)));
  await device.write(C.credits, Buffer.from([0xff, 0xff, 0xff, 0xff]));
  grant();
  try {
    await wait.promise;
  } finally {
    await offB();
    await offA();
  }
  return { a, b };
}

export function centralConformance(
  backendName: string,
  backend: CentralBackendFactory,
  peerFactory: PeerFactory,
): void {
  const peer = peerFactory();
  describe(`central conformance: ${backendName} backend against ${peer.name}`, () => {
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
          if (r.name !== undefined && r.advertisement.manufacturerData.size > 0) {
            found = r;
            break;
          }
        }
      })();
      // btvirt sends one report per advertising enable: scan first, then advertise.
      await started;
      await peer.advertise(true);
      await stream;
      assert.ok(found, `peer not found; saw ${seen.map((r) => r.address).join(', ')}`);
      assert.equal(found.address, peer.address);
      assert.equal(found.addressType, 'public');
      assert.equal(typeof found.rssi, 'number');
      peer.checkAdvertisement(found.advertisement, found.name);
      // The list form with a name filter (pygatt's filtered_scan) sees it too.
      const listed = central.filteredScan(found.name as string, { durationMs: 8_000 });
      await new Promise((r) => setTimeout(r, 1_000));
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

    test('reads and writes, with and without response, including long values', T, async () => {
      const d = device as Device;
      assert.deepEqual(await d.read(C.read), READ_VALUE);
      await d.write(C.echo, Buffer.from('with response'));
      assert.equal((await d.read(C.echo)).toString(), 'with response');
      await d.write(C.echo, Buffer.from('without'), { withoutResponse: true });
      // Without a response nothing says when the peer has it: poll briefly.
      let back = '';
      for (let i = 0; i < 50 && back !== 'without'; i++) {
        back = (await d.read(C.echo)).toString();
        if (back !== 'without') await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(back, 'without');
      const long = Buffer.alloc(512, 0);
      for (let i = 0; i < long.length; i++) long[i] = (i * 7) & 0xff;
      await d.write({ service: C.service, characteristic: C.echo }, long);
      assert.deepEqual(await d.read(C.echo), long, `512-byte round trip at MTU ${d.mtu}`);
      // By handle, like gatttool users do.
      const echo = await d.characteristic(C.echo);
      await d.write({ handle: echo.valueHandle }, [1, 2, 3]);
      assert.deepEqual(await d.read({ handle: echo.valueHandle }), Buffer.from([1, 2, 3]));
    });

    test(
      `${NOTIFICATIONS} notifications arrive in order, none lost, to every callback`,
      T,
      async () => {
        const d = device as Device;
        const t0 = Date.now();
        const { a, b } = await streamSequence(d, NOTIFICATIONS, 180_000);
        const ms = Date.now() - t0;
        const expected = Array.from({ length: NOTIFICATIONS }, (_, i) => i);
        assert.deepEqual(a.slice(0, NOTIFICATIONS), expected);
        assert.deepEqual(b.slice(0, NOTIFICATIONS), expected);
        const stats = (central.backend as { pathStats?: (a: string) => unknown }).pathStats?.(
          peer.address,
        );
        if (stats) console.log(`# transport use: ${JSON.stringify(stats)}`);
        console.log(
          `# ${NOTIFICATIONS} notifications in ${ms} ms (${Math.round((NOTIFICATIONS * 1000) / ms)}/s)`,
        );
      },
    );

    test('forceStartNotify delivers through D-Bus signals as well', T, async () => {
      const { a } = await streamSequence(device as Device, 200, 120_000, true);
      assert.deepEqual(
        a.slice(0, 200),
        Array.from({ length: 200 }, (_, i) => i),
      );
    });

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
      await btmgmt(['-i', peer.hci, 'power', 'off']);
      await Promise.race([
        fired,
        new Promise((_r, rej) =>
          setTimeout(() => rej(new Error('no disconnect callback in 60 s')), 60_000),
        ),
      ]);
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
      // A fresh advertising enable gives the reconnecting central a report to connect on.
      await peer.advertise(true);
      await reconnected;
      assert.equal(d.connected, true);
      // The callback subscribed before the power cycle gets values again without a new subscribe.
      persistent.length = 0;
      await d.write(C.credits, Buffer.from([0xff, 0xff, 0xff, 0xff]));
      await d.write(C.credits, credits(20));
      const deadline = Date.now() + 60_000;
      while (persistent.length < 20 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.deepEqual(
        persistent,
        Array.from({ length: 20 }, (_, i) => i),
      );
    });
  });
}
