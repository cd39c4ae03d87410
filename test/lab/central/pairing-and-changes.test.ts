// blekit's central (D-Bus backend, hci0) against blekit's peripheral (hci1), in one process:
// the peer's database changing under a live connection (Service Changed), then pairing through
// the central's own agent (refused, then accepted; the peripheral registers none) and forgetting
// the bond. The pairing tests run last: LAB.md
// saw later connections misbehave after a pairing in the same bluetoothd lifetime.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { DbusBackend } from '../../../src/backends/dbus/index.js';
import { Central, type Device } from '../../../src/central/index.js';
import { AttError, NotFoundError, PermissionError, TimeoutError } from '../../../src/core/index.js';
import { getManagedObjects, getProperty, openSystemBus } from '../../../src/bluez/calls.js';
import {
  Agent,
  Peripheral,
  type Advertisement,
  type GattApplication,
  type LocalService,
} from '../../../src/peripheral/index.js';
import { startBtmon } from '../../support/btmon.js';
import { HCI0_ADDR, HCI1_ADDR, assertInLab } from '../../support/proc.js';
import { acceptingAgent, forgetPeers, waitClean } from '../peripheral/support.js';

const T = { timeout: 240_000 };
const uuid = (n: number): string => `0000${n.toString(16)}-b1e0-4000-8000-626c656b6974`;
const SVC = uuid(0xe000);
const PLAIN = uuid(0xe001);
const ENC = uuid(0xe002);
const ADDED_SVC = uuid(0xe100);
const ADDED = uuid(0xe101);
const SECRET = Buffer.from('paired-secret');
const STATE = '/var/lib/bluetooth';
const CENTRAL_DEV = `/org/bluez/hci0/dev_${HCI1_ADDR.replace(/:/g, '_')}`;

let p: Peripheral;
let base: LocalService;
let central: Central;
let backend: DbusBackend;
let device: Device | undefined;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Resolves on the next `event` of `emitter`, or rejects after `ms`. */
function nextEvent(
  emitter: { once(e: string, f: () => void): unknown; off(e: string, f: () => void): unknown },
  event: string,
  ms: number,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const on = (): void => {
      clearTimeout(t);
      resolve();
    };
    const t = setTimeout(() => {
      emitter.off(event, on);
      reject(new Error(`no '${event}' within ${ms} ms`));
    }, ms);
    emitter.once(event, on);
  });
}

/**
 * Connects while registering a fresh advertisement every few seconds: btvirt reports an
 * advertiser once per enable, and the central may have to scan for it first.
 */
let lastProbe: Record<string, unknown> | undefined;

async function connectOnce(securityLevel?: 'medium'): Promise<Device> {
  let done = false;
  const connecting = central
    .connect(HCI1_ADDR, { timeoutMs: 90_000, addressType: 'public', securityLevel })
    .finally(() => (done = true));
  // What bluetoothd itself says while a connect hangs (read before the backend gives up).
  const probe = setTimeout(() => {
    void centralRecord().then((r) => (lastProbe = r));
  }, 15_000);
  let ad: Advertisement | undefined;
  try {
    while (!done) {
      await ad?.stop().catch(() => undefined);
      ad = await p.advertise({ localName: 'blekit-sc' });
      for (let i = 0; i < 30 && !done; i++) await sleep(100);
    }
  } finally {
    await ad?.stop().catch(() => undefined);
  }
  try {
    return await connecting;
  } finally {
    clearTimeout(probe);
  }
}

/**
 * Seen in the lab (bluetoothd 5.66): the link comes up and the client finishes its ATT
 * discovery, but ServicesResolved never turns true. Connecting is not what this file tests, so
 * that case gets more attempts; each is logged with what bluetoothd reported at the time.
 */
async function connect(securityLevel?: 'medium'): Promise<Device> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await connectOnce(securityLevel);
    } catch (e) {
      if (attempt >= 3 || !(e instanceof TimeoutError) || !/ServicesResolved/.test(e.message))
        throw e;
      const rec = lastProbe;
      console.log(
        `# connect attempt ${attempt}: ${e.message}; 15 s in, bluetoothd said Connected=` +
          `${String(rec?.Connected)} ServicesResolved=${String(rec?.ServicesResolved)}`,
      );
    }
  }
}

/** Paired/Bonded of hci0's record of hci1 as bluetoothd reports it now (undefined: no record). */
async function centralRecord(): Promise<Record<string, unknown> | undefined> {
  const bus = await openSystemBus();
  try {
    return (await getManagedObjects(bus))[CENTRAL_DEV]?.['org.bluez.Device1'];
  } finally {
    bus.close();
  }
}

/** Stored long-term keys: "<adapter> -> <peer>" for each bond bluetoothd keeps on disk. */
function storedBonds(): string[] {
  const out: string[] = [];
  if (!existsSync(STATE)) return out;
  const isAddr = (s: string): boolean => /^([0-9A-F]{2}:){5}[0-9A-F]{2}$/.test(s);
  for (const adapter of readdirSync(STATE).filter(isAddr)) {
    for (const peer of readdirSync(`${STATE}/${adapter}`).filter(isAddr)) {
      const info = `${STATE}/${adapter}/${peer}/info`;
      if (existsSync(info) && /LongTermKey\]/.test(readFileSync(info, 'utf8'))) {
        out.push(`${adapter} -> ${peer}`);
      }
    }
  }
  return out.sort();
}

/** [start, end] of each Service Changed indication in a btmon trace. */
function serviceChangedRanges(trace: string): [number, number][] {
  const re =
    /Handle Value Indication \(0x1d\)[^\n]*\n\s*Handle: 0x[0-9a-f]+ Type: Service Changed \(0x2a05\)\n\s*Data: ([0-9a-f]{8})/g;
  return [...trace.matchAll(re)].map((m) => {
    const b = Buffer.from(m[1] as string, 'hex');
    return [b.readUInt16LE(0), b.readUInt16LE(2)];
  });
}

before(async () => {
  assertInLab();
  await forgetPeers();
  p = await Peripheral.open({ adapter: 'hci1', handleSignals: false });
  base = await p.addService({
    uuid: SVC,
    characteristics: [
      { uuid: PLAIN, flags: ['read'], value: 'plain' },
      { uuid: ENC, flags: ['encrypt-read'], value: SECRET },
    ],
  });
  backend = new DbusBackend();
  central = new Central({ backend, adapter: 'hci0' });
  await central.start();
});

after(async () => {
  await device?.disconnect().catch(() => undefined);
  await central?.stop().catch(() => undefined);
  await p?.close().catch(() => undefined);
  await forgetPeers();
  const dirty = await waitClean();
  assert.equal(dirty, undefined, dirty);
  assert.deepEqual(storedBonds(), [], 'bonds left on disk');
  const bus = await openSystemBus();
  try {
    for (const hci of ['hci0', 'hci1']) {
      assert.equal(
        await getProperty(bus, `/org/bluez/${hci}`, 'org.bluez.Adapter1', 'Powered'),
        true,
      );
    }
  } finally {
    bus.close();
  }
});

describe('Service Changed: the central follows the peer database on a live link', () => {
  let app: GattApplication;
  let added: LocalService;

  test('a service registered while connected appears with its handle and reads', T, async () => {
    // btmon from before the link: it decodes EATT bearers only when it saw them open.
    const mon = await startBtmon();
    let trace = '';
    let t0 = 0;
    try {
      device = await connect();
      await device.discover();
      await assert.rejects(device.characteristic(ADDED), NotFoundError);
      t0 = Date.now();
      const changed = nextEvent(device, 'servicesChanged', 90_000);
      app = p.createApplication();
      added = await app.addService({
        uuid: ADDED_SVC,
        characteristics: [{ uuid: ADDED, flags: ['read'], value: 'added-later' }],
      });
      await app.register();
      await changed;
    } finally {
      trace = await mon.stop();
    }
    console.log(`# servicesChanged ${Date.now() - t0} ms after registering the service`);
    assert.ok(device);
    const c = await device.characteristic(ADDED);
    const local = added.characteristics[0]!.handle;
    assert.ok(local > 0, 'BlueZ gave the new characteristic a handle');
    assert.equal(c.valueHandle, local, 'the central sees the handle the server assigned');
    const lastBase = Math.max(...base.characteristics.map((x) => x.handle));
    assert.ok(c.valueHandle > lastBase, `new handle 0x${c.valueHandle.toString(16)}`);
    // The server told the client with a Service Changed indication covering the new handles.
    const ranges = serviceChangedRanges(trace);
    assert.ok(
      ranges.some(([start, end]) => start <= c.handle && c.valueHandle <= end),
      `Service Changed ranges ${JSON.stringify(ranges)}; trace tail:\n${trace.slice(-3000)}`,
    );
    assert.equal((await device.read(ADDED)).toString(), 'added-later');
    assert.equal((await device.read({ handle: local })).toString(), 'added-later');
    assert.equal((await device.read(PLAIN)).toString(), 'plain');
  });

  test('a service removed while connected is gone: NotFoundError', T, async () => {
    assert.ok(device?.connected && app?.isRegistered, 'the previous test left a live link');
    const d = device;
    const changed = nextEvent(d, 'servicesChanged', 90_000);
    const old = (await d.characteristic(ADDED)).valueHandle;
    await app.unregister();
    await changed;
    await assert.rejects(d.characteristic(ADDED), NotFoundError);
    await assert.rejects(d.read(ADDED), NotFoundError);
    await assert.rejects(d.read({ handle: old }), NotFoundError);
    assert.equal((await d.read(PLAIN)).toString(), 'plain');
    assert.equal(d.connected, true);
  });
});

describe("pairing as a central through the central's agent", () => {
  test(
    'an agent that opts into nothing: the encrypted read and pair() fail, no bond',
    T,
    async () => {
      const agent = new Agent({ capability: 'NoInputNoOutput' });
      await central.registerAgent(agent);
      try {
        device ??= await connect();
        if (!device.connected) device = await connect();
        const reasons: string[] = [];
        device.registerDisconnectCallback((_d, reason) => reasons.push(reason));
        const dropped = nextEvent(device, 'disconnect', 60_000);
        const err = await device.read(ENC).then(
          (v) => new Error(`read succeeded: ${v.toString('hex')}`),
          (e: unknown) => e as Error,
        );
        console.log(`# refused pairing: ${err.name}: ${err.message}`);
        assert.ok(err instanceof AttError, `${err.name}: ${err.message}`);
        assert.equal(err.attCode, 0x0e, err.message);
        // SMP fails (the peer's agent refused the confirmation) and the kernel drops the link.
        await dropped;
        console.log(`# link dropped after the refusal: ${reasons.join()}`);
        assert.equal(device.connected, false);
        // Asked explicitly on a new link, the refusal comes back from pair() as PermissionError.
        device = await connect();
        const pairErr = await device.pair('medium').then(
          () => new Error('pair() succeeded'),
          (e: unknown) => e as Error,
        );
        console.log(`# refused pair(): ${pairErr.name}: ${pairErr.message}`);
        assert.ok(pairErr instanceof PermissionError, `${pairErr.name}: ${pairErr.message}`);
        const rec = await centralRecord();
        assert.notEqual(rec?.Paired, true, 'hci0 does not consider hci1 paired');
        assert.notEqual(rec?.Bonded, true);
        assert.deepEqual(storedBonds(), []);
      } finally {
        await device?.disconnect().catch(() => undefined);
        device = undefined;
        await central.unregisterAgent(agent);
      }
    },
  );

  test('an agent that opts in: pairs at medium, reads, and clearBond forgets it', T, async () => {
    const asked: string[] = [];
    const agent = acceptingAgent(asked);
    await central.registerAgent(agent);
    try {
      device = await connect('medium');
      console.log(`# agent asked: ${asked.join('; ')}`);
      assert.ok(asked.length > 0, 'the opted-in agent was consulted');
      const rec = await centralRecord();
      assert.equal(rec?.Paired, true, `hci0's record of hci1: ${JSON.stringify(rec)}`);
      await device.pair('medium'); // already paired: resolves without asking again
      assert.deepEqual(await device.read(ENC), SECRET);
      assert.deepEqual(storedBonds(), [
        `${HCI0_ADDR} -> ${HCI1_ADDR}`,
        `${HCI1_ADDR} -> ${HCI0_ADDR}`,
      ]);

      const gone = nextEvent(device, 'disconnect', 30_000);
      await central.clearBond(HCI1_ADDR);
      await gone;
      assert.equal(device.connected, false);
      assert.equal(await centralRecord(), undefined, 'hci0 forgot hci1');
      assert.deepEqual(
        storedBonds(),
        [`${HCI1_ADDR} -> ${HCI0_ADDR}`],
        "only the peer's side left",
      );
      device = undefined;
    } finally {
      await central.unregisterAgent(agent);
    }
  });
});
