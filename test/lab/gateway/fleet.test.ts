// A fleet of two `blekit gateway --fleet` processes on one Debian mosquitto: the blekit peripheral
// on hci1 (gatt-peer.ts, keeping its last 10 values for a new subscriber) is heard by both; a
// connect and a subscribe sent with mosquitto_pub to the device's fleet topic are served by the
// owner; the owner is then killed (SIGKILL: the broker publishes its last will) and the other
// gateway must take the connection and the subscription over, the stream going on with no value
// missing. With hci2 (`npm run test:fleet`, three controllers) the gateways have radios of their
// own and the dead owner's link is dropped as it dies (Device1.Disconnect on its radio: powering
// the radio off instead hit the Debian 6.1 kernel's hci_chan_del page fault, as in
// two-links.test.ts), so the device is found again over the air. In npm test's two-controller boot both gateways share hci0: the fleet
// protocol (will, election, session restore) is the same, the radio hands nothing over.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { callMethod, openSystemBus } from '../../../src/bluez/calls.js';
import { assertInLab } from '../../support/proc.js';
import { PEER } from './peer-spec.js';
import {
  message,
  onTopic,
  ready,
  repliesSubscriber,
  retained,
  sendTo,
  start,
  startGateway,
  startMosquitto,
  stop,
  type Proc,
} from './support.js';

const PEER_MAIN = fileURLToPath(new URL('./gatt-peer.js', import.meta.url));
const PORT = 1889;
const ADDRESS = '00:AA:01:01:00:01';
const FLEET = 'blekit/fleet/00AA01010001';
const NOTIFY = `blekit/devices/00AA01010001/notify/${PEER.notify}`;
const HCI2 = existsSync('/sys/class/bluetooth/hci2');
const ADAPTERS: Record<string, string> = { 'fleet-a': 'hci0', 'fleet-b': HCI2 ? 'hci2' : 'hci0' };

let broker: Proc | undefined;
let peer: Proc | undefined;
let replies: Proc | undefined;
let watch: Proc | undefined;
const gateways = new Map<string, Proc>();

before(async () => {
  assertInLab();
  broker = await startMosquitto(PORT);
  peer = start(process.execPath, [PEER_MAIN, 'hci1', '--replay', '10', '--nudge']);
  await peer.waitFor((l) => l.includes('"ready"'), 60_000, 'peer ready');
  replies = repliesSubscriber(PORT);
  watch = start('mosquitto_sub', ['-p', String(PORT), '-v', '-t', 'blekit/#']);
});

after(async () => {
  for (const gw of gateways.values()) await stop(gw, 'SIGINT');
  await stop(watch);
  await stop(replies);
  await stop(peer);
  await stop(broker);
});

const counter = (line: string): number =>
  Buffer.from(message(line).payload.hex as string, 'hex').readUInt32LE(0);

test(
  "a fleet's owner dies: the next gateway takes the connection and the stream over",
  { timeout: 300_000 },
  async () => {
    for (const [id, adapter] of Object.entries(ADAPTERS)) {
      gateways.set(id, startGateway(PORT, id, ['--fleet', '--allow', ADDRESS], adapter));
    }
    for (const gw of gateways.values()) await ready(gw);
    const w = watch as Proc;
    for (const id of gateways.keys()) {
      await w.waitFor(onTopic(`${FLEET}/seen/${id}`), 90_000, `a sighting from ${id}`);
    }
    const ask = (body: Record<string, unknown>) =>
      sendTo(PORT, replies as Proc, `${FLEET}/command`, body);

    // No address in the payload: the fleet topic names the device.
    const connected = await ask({ command: 'connect' });
    assert.equal(connected.result, 'ok', JSON.stringify(connected));
    const owner = (connected.value as { gateway: string }).gateway;
    const heir = [...gateways.keys()].find((g) => g !== owner) as string;
    assert.ok(gateways.has(owner), `the reply names a fleet gateway: ${owner}`);
    assert.equal((await retained(PORT, `${FLEET}/owner`)).gateway, owner);
    const sub = await ask({ command: 'subscribe', characteristic: PEER.notify });
    assert.equal(sub.result, 'ok', JSON.stringify(sub));
    assert.equal((sub.value as { gateway: string }).gateway, owner, 'only the owner answers');
    await w.waitFor(
      onTopic(NOTIFY, (p) => p.seq === 10),
      30_000,
      'ten values via the owner',
    );
    const session = await retained(PORT, `${FLEET}/session`);
    assert.deepEqual(session.subscriptions, [PEER.notify.toLowerCase()]);

    // The owner dies as a machine would: no goodbye, and (with its own radio) its link drops at
    // the same moment. btvirt gives a peripheral's second link the handle of its first, so the
    // old link must be gone before the heir connects (the heir waits SETTLE_MS, 1 s).
    const ownRadios = ADAPTERS[owner] !== ADAPTERS[heir];
    const bus = ownRadios ? await openSystemBus() : undefined;
    const t0 = Date.now();
    const dying = gateways.get(owner) as Proc;
    gateways.delete(owner);
    dying.child.kill('SIGKILL');
    try {
      if (bus) {
        await callMethod(bus, {
          path: `/org/bluez/${ADAPTERS[owner]}/dev_${ADDRESS.replace(/:/g, '_')}`,
          interface: 'org.bluez.Device1',
          member: 'Disconnect',
        });
      }
    } finally {
      bus?.close();
    }
    await dying.exited;
    await w.waitFor(
      onTopic(`blekit/gateways/${owner}/status`, (p) => p.state === 'offline'),
      30_000,
      "the dead owner's last will",
    );
    const first = await w.waitFor(
      onTopic(NOTIFY, (p) => p.gateway === heir),
      60_000,
      `a value via ${heir}`,
    );
    const handoverMs = Date.now() - t0;
    const heirProc = gateways.get(heir) as Proc;
    const took = await heirProc.waitFor((l) => l.includes('"takeover"'), 5_000, 'takeover event');
    assert.equal((await retained(PORT, `${FLEET}/owner`)).gateway, heir);
    const firstSeq = message(first).payload.seq as number;
    await w.waitFor(
      onTopic(NOTIFY, (p) => p.gateway === heir && (p.seq as number) >= firstSeq + 10),
      30_000,
      `ten more values via ${heir}`,
    );

    // Every counter from the first to the last arrived at least once; repeats are recognisable.
    const values = w.lines.filter(onTopic(NOTIFY)).map(counter);
    const seen = new Set(values);
    const lo = Math.min(...values);
    const hi = Math.max(...values);
    const missing = [];
    for (let v = lo; v <= hi; v++) if (!seen.has(v)) missing.push(v);
    console.log(
      `# fleet handover (${HCI2 ? 'own radios' : 'shared hci0'}): ${owner} killed, ${heir} ` +
        `delivering after ${handoverMs} ms (${JSON.parse(took).ms} ms from the will to restored); ` +
        `${values.length} values ${lo}..${hi}, ${values.length - seen.size} repeats, ` +
        `${missing.length} missing`,
    );
    assert.deepEqual(missing, [], 'no value lost across the handover');
  },
);
