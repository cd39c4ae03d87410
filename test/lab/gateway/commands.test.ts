// Commands over MQTT 5 request/response, end to end: a blekit peripheral with read, write and
// notify characteristics on hci1, `blekit gateway` on hci0, Debian's mosquitto as the broker and
// mosquitto_pub/mosquitto_sub (MQTT 5 response topic and correlation data) as the independent
// client driving every command.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { assertInLab } from '../../support/proc.js';
import { PEER } from './peer-spec.js';
import {
  message,
  onTopic,
  ready,
  repliesSubscriber,
  retained,
  sendCommand,
  start,
  startGateway,
  startMosquitto,
  stop,
  type Proc,
  type Reply,
} from './support.js';

const PEER_MAIN = fileURLToPath(new URL('./gatt-peer.js', import.meta.url));
const PORT = 1887;
const ADDRESS = '00:AA:01:01:00:01';
const DEVICE = 'blekit/devices/00AA01010001';

let broker: Proc | undefined;
let peer: Proc | undefined;
let replies: Proc | undefined;

const request = (gateway: string, body: Record<string, unknown> | string): Promise<Reply> =>
  sendCommand(PORT, replies as Proc, gateway, body);
const gateway = (id: string, extra: string[]): Proc => startGateway(PORT, id, extra);

before(async () => {
  assertInLab();
  broker = await startMosquitto(PORT);
  peer = start(process.execPath, [PEER_MAIN, 'hci1']);
  await peer.waitFor((l) => l.includes('"ready"'), 60_000, 'peer ready');
  replies = repliesSubscriber(PORT);
});

after(async () => {
  await stop(replies);
  await stop(peer);
  await stop(broker);
});

test(
  'without an allow-list, connect is refused with a typed error',
  { timeout: 300_000 },
  async () => {
    const gw = gateway('closed', []);
    try {
      await ready(gw);
      const refused = await request('closed', { command: 'connect', address: ADDRESS });
      assert.equal(refused.result, 'error');
      assert.equal(refused.code, 'ERR_BLE_PERMISSION');
      assert.equal(refused.exitCode, 5);
      assert.match(String(refused.reason), /allow-list/);
      // Every other command needs a connection the gateway never made.
      const read = await request('closed', {
        command: 'read',
        address: ADDRESS,
        characteristic: PEER.read,
      });
      assert.equal(read.code, 'ERR_BLE_NOT_CONNECTED');
      // Malformed commands are refused at the edge, in the same shape.
      const bad = await request('closed', '{"command":"format-disk","address":"x"}');
      assert.equal(bad.result, 'error');
      assert.equal(bad.code, 'ERR_BLE_INVALID_ARGUMENT');
      assert.equal(bad.exitCode, 2);
      const notJson = await request('closed', 'not json');
      assert.equal(notJson.code, 'ERR_BLE_INVALID_ARGUMENT');
      assert.ok(!peer?.lines.some((l) => l.includes('"write"')), 'nothing reached the peer');
    } finally {
      await stop(gw, 'SIGINT');
    }
  },
);

test(
  'with the device allowed: connect, discover, read, write, subscribe, unsubscribe, disconnect',
  { timeout: 400_000 },
  async () => {
    const gw = gateway('open', ['--allow', ADDRESS]);
    const notes = start('mosquitto_sub', [
      ...['-p', String(PORT), '-v', '-q', '1'],
      ...['-t', `${DEVICE}/notify/#`, '-t', `${DEVICE}/connection`],
    ]);
    try {
      await ready(gw);
      const other = await request('open', { command: 'connect', address: '00:AA:01:02:00:02' });
      assert.equal(other.code, 'ERR_BLE_PERMISSION', JSON.stringify(other));

      const conn = await request('open', {
        command: 'connect',
        address: ADDRESS,
        timeoutMs: 60_000,
      });
      assert.equal(conn.result, 'ok', JSON.stringify(conn));
      assert.deepEqual((conn.value as { connected: boolean }).connected, true);
      await notes.waitFor(
        onTopic(`${DEVICE}/connection`, (p) => p.connected === true && p.gateway === 'open'),
        10_000,
        'connection state',
      );

      const disc = await request('open', { command: 'discover', address: ADDRESS });
      assert.equal(disc.result, 'ok', JSON.stringify(disc));
      const services = (
        disc.value as { services: { uuid: string; characteristics: { uuid: string }[] }[] }
      ).services;
      const svc = services.find((s) => s.uuid === PEER.service);
      assert.ok(svc, JSON.stringify(services));
      assert.deepEqual(
        svc.characteristics.map((c) => c.uuid).sort(),
        [PEER.read, PEER.write, PEER.notify].sort(),
      );

      const read = await request('open', {
        command: 'read',
        address: ADDRESS,
        characteristic: PEER.read,
      });
      assert.equal(read.result, 'ok', JSON.stringify(read));
      assert.equal(
        (read.value as { hex: string }).hex,
        Buffer.from(PEER.readValue).toString('hex'),
      );

      const w = await request('open', {
        command: 'write',
        address: ADDRESS,
        characteristic: PEER.write,
        value: 'a1b2c3',
      });
      assert.equal(w.result, 'ok', JSON.stringify(w));
      await peer?.waitFor((l) => l.includes('"hex":"a1b2c3"'), 10_000, 'write at the peer');
      const wnr = await request('open', {
        command: 'write',
        address: ADDRESS,
        characteristic: PEER.write,
        value: '0d0e',
        withoutResponse: true,
      });
      assert.equal(wnr.result, 'ok', JSON.stringify(wnr));
      await peer?.waitFor((l) => l.includes('"hex":"0d0e"'), 10_000, 'write command at the peer');

      const sub = await request('open', {
        command: 'subscribe',
        address: ADDRESS,
        characteristic: PEER.notify,
      });
      assert.equal(sub.result, 'ok', JSON.stringify(sub));
      const topic = (sub.value as { topic: string }).topic;
      assert.equal(topic, `${DEVICE}/notify/${PEER.notify}`);
      await notes.waitFor(
        onTopic(topic, (p) => p.seq === 5),
        30_000,
        'five notifications',
      );
      const values = notes.lines.filter(onTopic(topic)).map((l) => message(l).payload);
      // In order, none missing: the gateway's seq and the peer's counter both step by one.
      values.forEach((v, i) => {
        assert.equal(v.seq, i + 1);
        assert.equal(v.address, ADDRESS);
        if (i > 0) {
          const prev = Buffer.from(values[i - 1]?.hex as string, 'hex').readUInt32LE(0);
          assert.equal(Buffer.from(v.hex as string, 'hex').readUInt32LE(0), prev + 1);
        }
      });

      const unsub = await request('open', {
        command: 'unsubscribe',
        address: ADDRESS,
        characteristic: PEER.notify,
      });
      assert.equal(unsub.result, 'ok', JSON.stringify(unsub));
      await peer?.waitFor((l) => l.includes('"unsubscribed"'), 10_000, 'unsubscribed at the peer');
      const count = notes.lines.filter(onTopic(topic)).length;
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal(notes.lines.filter(onTopic(topic)).length, count, 'no values after unsubscribe');

      const bye = await request('open', { command: 'disconnect', address: ADDRESS });
      assert.equal(bye.result, 'ok', JSON.stringify(bye));
      assert.equal((await retained(PORT, `${DEVICE}/connection`)).connected, false);
      const after = await request('open', {
        command: 'read',
        address: ADDRESS,
        characteristic: PEER.read,
      });
      assert.equal(after.code, 'ERR_BLE_NOT_CONNECTED');
    } finally {
      await stop(notes);
      await stop(gw, 'SIGINT');
    }
  },
);
