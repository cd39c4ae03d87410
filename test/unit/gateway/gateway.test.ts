import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Socket } from 'node:net';
import { connectAsync, type MqttClient } from 'mqtt';
import type { ScanOptions, ScanResult } from '../../../src/central/index.js';
import { parseAdvertisingData } from '../../../src/protocol/index.js';
import { InvalidArgumentError } from '../../../src/core/errors.js';
import { encodeBthome } from '../../../src/formats/bthome.js';
import { Gateway } from '../../../src/gateway/index.js';

const ADDR = '00:AA:01:01:00:01';
const KEY = 'AA01010001';

/** A scan that yields what the test pushes, until aborted: the gateway's publishing is the subject. */
class FakeScan {
  readonly adapter = { name: 'hci9' };
  options?: ScanOptions;
  calls: (boolean | undefined)[] = [];
  constructor(private readonly passiveRefused = false) {}
  private queue: ScanResult[] = [];
  private wake?: () => void;

  push(r: ScanResult): void {
    this.queue.push(r);
    this.wake?.();
  }

  async *scanStream(options: ScanOptions): AsyncGenerator<ScanResult> {
    this.options = options;
    this.calls.push(options.active);
    if (this.passiveRefused && !options.active) throw new InvalidArgumentError('active only');
    const aborted = new Promise<void>((resolve) =>
      options.signal?.addEventListener('abort', () => resolve()),
    );
    while (!options.signal?.aborted) {
      const next = this.queue.shift();
      if (next) {
        yield next;
        continue;
      }
      await Promise.race([new Promise<void>((r) => (this.wake = r)), aborted]);
    }
  }
}

function report(adHex: string, rssi = -50): ScanResult {
  return {
    address: ADDR,
    addressType: 'public',
    name: 'blekit sensor',
    rssi,
    advertisement: parseAdvertisingData(Buffer.from(adHex, 'hex')),
    timestamp: Date.now(),
  };
}

function bthomeAd(temperature: number): string {
  const sd = encodeBthome([
    { object: 'temperature', value: temperature },
    { object: 'humidity', value: 50.55 },
    { object: 'motion', value: true },
  ]);
  return `020106${(sd.length + 3).toString(16).padStart(2, '0')}16d2fc${sd.toString('hex')}`;
}

async function collect(url: string): Promise<{ client: MqttClient; got: Map<string, unknown[]> }> {
  const client = await connectAsync(url, { protocolVersion: 4 });
  const got = new Map<string, unknown[]>();
  client.on('message', (topic, payload) => {
    const v = JSON.parse(payload.toString());
    got.set(topic, [...(got.get(topic) ?? []), v]);
  });
  await client.subscribeAsync('#', { qos: 1 });
  return { client, got };
}

async function until(what: string, ok: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('publishes status, presence, advertisements, BTHome values and discovery; offline on stop', async () => {
  const scan = new FakeScan();
  const gw = new Gateway({ central: scan, id: 'test', embedded: { port: 0 }, minIntervalMs: 300 });
  await gw.start();
  assert.equal(scan.options?.active, false, 'passive by default');
  const { client, got } = await collect(gw.url as string);
  try {
    await until('online status', () => got.has('blekit/gateways/test/status'));
    assert.equal(
      (got.get('blekit/gateways/test/status')?.[0] as { state: string }).state,
      'online',
    );

    for (const t of [21.5, 22.5, 23.5]) scan.push(report(bthomeAd(t)));
    const topic = 'blekit/devices/00AA01010001/bthome';
    // The first goes out at once; the next two fall in the rate limit and only the last survives.
    await until('two BTHome publications', () => (got.get(topic)?.length ?? 0) >= 2);
    await new Promise((r) => setTimeout(r, 400));
    const temps = (got.get(topic) as { values: { temperature: number } }[]).map(
      (v) => v.values.temperature,
    );
    assert.deepEqual(temps, [21.5, 23.5]);
    const last = got.get(topic)?.at(-1) as Record<string, unknown>;
    assert.deepEqual(last.values, { temperature: 23.5, humidity: 50.55, motion: true });
    assert.equal(last.rssi, -50);
    assert.equal(last.gateway, 'test');

    const presence = got.get('blekit/devices/00AA01010001/presence')?.[0] as Record<
      string,
      unknown
    >;
    assert.equal(presence.present, true);
    assert.equal(presence.name, 'blekit sensor');
    const adv = got.get('blekit/devices/00AA01010001/advertisement')?.[0] as Record<
      string,
      unknown
    >;
    assert.deepEqual(Object.keys(adv.serviceData as object), [
      '0000fcd2-0000-1000-8000-00805f9b34fb',
    ]);

    const temp = got.get(
      'homeassistant/sensor/blekit_00AA01010001/temperature/config',
    )?.[0] as Record<string, unknown>;
    assert.equal(temp.device_class, 'temperature');
    assert.equal(temp.unit_of_measurement, '°C');
    assert.equal(temp.state_topic, topic);
    assert.equal(temp.value_template, '{{ value_json.values.temperature }}');
    const motion = got.get(
      'homeassistant/binary_sensor/blekit_00AA01010001/motion/config',
    )?.[0] as Record<string, unknown>;
    assert.equal(motion.device_class, 'motion');
    // Announced once, not per advertisement.
    assert.equal(got.get('homeassistant/sensor/blekit_00AA01010001/temperature/config')?.length, 1);
    assert.equal(gw.stats.rateLimited >= 1, true);
  } finally {
    await gw.stop();
  }
  await until('offline status', () => (got.get('blekit/gateways/test/status')?.length ?? 0) >= 2);
  assert.equal(
    (got.get('blekit/gateways/test/status')?.at(-1) as { state: string }).state,
    'offline',
  );
  client.end(true);
});

test('decodes iBeacon and encrypted BTHome with a bind key', async () => {
  const scan = new FakeScan();
  const key = '231d39c1d7cc1ab1aee224cd096db932';
  const gw = new Gateway({
    central: scan,
    id: 'test2',
    embedded: { port: 0 },
    bindKeys: { [ADDR.toLowerCase()]: key },
  });
  await gw.start();
  const { client, got } = await collect(gw.url as string);
  try {
    const sd = encodeBthome([{ object: 'battery', value: 88 }], {
      bindKey: key,
      address: ADDR,
      counter: 7,
    });
    scan.push(
      report(`${(sd.length + 3).toString(16).padStart(2, '0')}16d2fc${sd.toString('hex')}`),
    );
    scan.push(report('1aff4c000215e2c56db5dffb48d2b060d0f5a71096e000010102c5'));
    await until(
      'bthome and ibeacon',
      () =>
        got.has('blekit/devices/00AA01010001/bthome') &&
        got.has('blekit/devices/00AA01010001/ibeacon'),
    );
    const b = got.get('blekit/devices/00AA01010001/bthome')?.[0] as Record<string, unknown>;
    assert.equal(b.encrypted, true);
    assert.equal(b.counter, 7);
    assert.deepEqual(b.values, { battery: 88 });
    const i = got.get('blekit/devices/00AA01010001/ibeacon')?.[0] as Record<string, unknown>;
    assert.equal(i.major, 1);
    assert.equal(i.minor, 258);
  } finally {
    await gw.stop();
    client.end(true);
  }
});

test('auto scan falls back to active where the backend cannot scan passively', async () => {
  const scan = new FakeScan(true);
  const gw = new Gateway({ central: scan, id: 'test3', embedded: { port: 0 } });
  await gw.start();
  try {
    await until('active scan', () => scan.calls.length === 2);
    assert.deepEqual(scan.calls, [false, true]);
    assert.equal(gw.activeScan, true);
  } finally {
    await gw.stop();
  }
  const strict = new FakeScan(true);
  const gw2 = new Gateway({ central: strict, id: 'test4', embedded: { port: 0 }, scan: 'passive' });
  await gw2.start();
  await assert.rejects(gw2.done, InvalidArgumentError);
  await gw2.stop();
});

test('bad options are refused before any I/O', () => {
  const scan = new FakeScan();
  assert.throws(() => new Gateway({ central: scan, prefix: 'a/#' }), InvalidArgumentError);
  assert.throws(() => new Gateway({ central: scan, id: 'a/b' }), InvalidArgumentError);
  assert.throws(() => new Gateway({ central: scan, mqtt: 'http://x' }), InvalidArgumentError);
  assert.throws(() => new Gateway({ central: scan, minIntervalMs: -1 }), InvalidArgumentError);
  assert.throws(
    () => new Gateway({ central: scan, bindKeys: { nope: KEY } }),
    InvalidArgumentError,
  );
});

test('commands over MQTT 3.1.1 (the embedded broker): reply fields in the payload, refusals typed', async () => {
  const gw = new Gateway({ central: new FakeScan(), id: 'cmd', embedded: { port: 0 } });
  await gw.start();
  const client = await connectAsync(gw.url as string, { protocolVersion: 4 });
  try {
    const replies: Record<string, unknown>[] = [];
    client.on('message', (_t, p) => replies.push(JSON.parse(p.toString())));
    await client.subscribeAsync('me/replies', { qos: 1 });
    const send = (body: string): Promise<unknown> =>
      client.publishAsync('blekit/gateways/cmd/command', body, { qos: 1 });
    await send(
      JSON.stringify({
        command: 'connect',
        address: ADDR,
        responseTopic: 'me/replies',
        correlationData: 'one',
      }),
    );
    await send('{"command":"reboot","responseTopic":"me/replies","correlationData":"two"}');
    // No response topic: run, but not answered.
    await send(JSON.stringify({ command: 'disconnect', address: ADDR }));
    await until('two replies', () => replies.length >= 2);
    const [one, two] = [...replies].sort((a, b) =>
      String(a.correlationData).localeCompare(String(b.correlationData)),
    );
    assert.deepEqual(one, {
      result: 'error',
      reason:
        'connecting to devices is off: start the gateway with an allow-list (--allow ADDRESS or --allow SERVICE-UUID)',
      exitCode: 5,
      code: 'ERR_BLE_PERMISSION',
      correlationData: 'one',
    });
    assert.equal(two?.code, 'ERR_BLE_INVALID_ARGUMENT');
    assert.equal(two?.exitCode, 2);
    await until('three commands counted', () => gw.stats.commands === 3);
    assert.equal(gw.stats.commandErrors, 2);
  } finally {
    await client.endAsync();
    await gw.stop();
  }
});

test('broker gone: the gateway buffers up to its bound, reconnects and reports the drops', async () => {
  const { startEmbeddedBroker } = await import('../../../src/gateway/broker.js');
  // Sockets told to send at once (Nagle off), to check the gateway's own, first and reconnected.
  const eager = new Set<unknown>();
  const setNoDelay = Socket.prototype.setNoDelay;
  Socket.prototype.setNoDelay = function (this: Socket, on?: boolean) {
    if (on !== false) eager.add(this);
    return setNoDelay.call(this, on);
  };
  let broker = await startEmbeddedBroker('127.0.0.1', 0);
  const port = broker.port;
  const scan = new FakeScan();
  const gw = new Gateway({
    central: scan,
    id: 'rc',
    mqtt: broker.url,
    mqttOptions: { protocolVersion: 4 },
    minIntervalMs: 0,
    bufferSize: 3,
    discoveryPrefix: false,
  });
  await gw.start();
  const stream = (): unknown => (gw as unknown as { client: MqttClient }).client.stream;
  const firstEager = eager.has(stream());
  const back = new Promise<{ delivered: number; dropped: number }>((resolve) =>
    gw.once('reconnect', resolve),
  );
  // Reconnects faster than the gateway, so it is subscribed again when the buffer arrives.
  const sub = await connectAsync(broker.url, { protocolVersion: 4, reconnectPeriod: 100 });
  const got: Record<string, unknown>[] = [];
  sub.on('message', (topic, p) => {
    got.push({ topic, ...JSON.parse(p.toString()) });
  });
  await sub.subscribeAsync('blekit/#', { qos: 1 });
  try {
    assert.ok(firstEager, 'Nagle off on the broker connection');
    await broker.close();
    await until(
      'gateway offline',
      () => !(gw as unknown as { client: MqttClient }).client.connected,
    );
    for (let i = 0; i < 5; i++) scan.push({ ...report(bthomeAd(i)), rssi: -40 - i });
    await until('five scanned', () => gw.stats.advertisements === 5);
    // Each report makes an advertisement and a BTHome message, the first also its presence.
    assert.equal(gw.stats.buffered, 3);
    assert.equal(gw.stats.dropped, 11 - 3);
    const before = got.length;
    broker = await startEmbeddedBroker('127.0.0.1', port);
    const r = await back;
    assert.deepEqual(r, { delivered: 3, dropped: 8 });
    await until('status and buffer delivered', () => got.length >= before + 4);
    const after = got
      .slice(before)
      .map((g) => `${String(g.topic).split('/').pop()} ${String(g.rssi)}`);
    assert.deepEqual(after, ['status undefined', 'bthome -43', 'advertisement -44', 'bthome -44']);
    const status = got[before];
    assert.equal(status?.state, 'online');
    assert.equal(status?.dropped, r.dropped);
    assert.equal(status?.reconnects, 1);
    assert.equal(gw.stats.buffered, 0);
    assert.ok(eager.has(stream()), 'Nagle off on the reconnected broker connection');
  } finally {
    Socket.prototype.setNoDelay = setNoDelay;
    await sub.endAsync();
    await gw.stop();
    await broker.close();
  }
});
