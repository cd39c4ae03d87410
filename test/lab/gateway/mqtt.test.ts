// The gateway end to end: a blekit BTHome sensor on hci1, `blekit gateway` on hci0, Debian's
// mosquitto as the broker and mosquitto_sub as the independent client that checks the topics,
// the decoded values, Home Assistant discovery, the retained status and the last will.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { blekitBin } from '../../support/bin.js';
import { assertInLab } from '../../support/proc.js';
import { message, onTopic, retained, start, startMosquitto, stop, type Proc } from './support.js';

const SENSOR = fileURLToPath(new URL('./bthome-sensor.js', import.meta.url));
const DEVICE = 'blekit/devices/00AA01010001';
const VALUES = [
  { object: 'temperature', value: 21.5 },
  { object: 'humidity', value: 40 },
  { object: 'motion', value: true },
];

let broker: Proc | undefined;
let sensor: Proc | undefined;

before(async () => {
  assertInLab();
  broker = await startMosquitto(1884);
  sensor = start(process.execPath, [SENSOR, 'hci1', JSON.stringify(VALUES)]);
  await sensor.waitFor((l) => l.includes('advertising'), 60_000, 'sensor advertising');
});

after(async () => {
  await stop(sensor);
  await stop(broker);
});

test(
  'gateway to mosquitto: values, discovery, retained status and presence, last will',
  { timeout: 400_000 },
  async () => {
    const sub = start('mosquitto_sub', [
      '-p',
      '1884',
      '-v',
      '-t',
      'blekit/#',
      '-t',
      'homeassistant/#',
    ]);
    const gw = start(process.execPath, [
      blekitBin,
      'gateway',
      '--adapter',
      'hci0',
      '--mqtt',
      'mqtt://127.0.0.1:1884',
      '--id',
      'lab',
      '--interval',
      '500',
      '--json',
    ]);
    try {
      const ready = JSON.parse(
        await gw.waitFor((l) => l.includes('"ready"'), 150_000, 'gateway ready'),
      );
      assert.equal(ready.gateway, 'lab');

      const b = message(
        await sub.waitFor(onTopic(`${DEVICE}/bthome`), 90_000, 'bthome message'),
      ).payload;
      assert.deepEqual(b.values, { temperature: 21.5, humidity: 40, motion: true });
      assert.equal(b.encrypted, false);
      assert.equal(b.gateway, 'lab');
      // btvirt reports every advertisement with HCI's "RSSI not available" (127): null here.
      assert.ok(b.rssi === null || (typeof b.rssi === 'number' && b.rssi !== 127), String(b.rssi));

      const temp = message(
        await sub.waitFor(
          onTopic('homeassistant/sensor/blekit_00AA01010001/temperature/config'),
          10_000,
          'HA temperature',
        ),
      ).payload;
      assert.equal(temp.device_class, 'temperature');
      assert.equal(temp.unit_of_measurement, '°C');
      assert.equal(temp.state_topic, `${DEVICE}/bthome`);
      assert.equal(temp.availability_topic, 'blekit/gateways/lab/status');
      const motion = message(
        await sub.waitFor(
          onTopic('homeassistant/binary_sensor/blekit_00AA01010001/motion/config'),
          10_000,
          'HA motion',
        ),
      ).payload;
      assert.equal(motion.device_class, 'motion');
      await sub.waitFor(
        onTopic(`${DEVICE}/advertisement`, (p) => p.name === 'blekit th'),
        10_000,
        'advertisement',
      );

      // A new value reaches the broker.
      sensor?.child.stdin?.write(`${JSON.stringify([{ object: 'temperature', value: -3.25 }])}\n`);
      await sub.waitFor(
        onTopic(
          `${DEVICE}/bthome`,
          (p) => (p.values as { temperature?: number }).temperature === -3.25,
        ),
        30_000,
        'updated temperature',
      );

      // Retained: a client connecting now gets the status, presence and discovery at once.
      assert.equal((await retained(1884, 'blekit/gateways/lab/status')).state, 'online');
      const presence = await retained(1884, `${DEVICE}/presence`);
      assert.equal(presence.present, true);
      assert.equal(presence.address, '00:AA:01:01:00:01');
      assert.equal(
        (await retained(1884, 'homeassistant/sensor/blekit_00AA01010001/humidity/config'))
          .device_class,
        'humidity',
      );

      // Killed without a goodbye: the broker publishes the last will.
      gw.child.kill('SIGKILL');
      await gw.exited;
      await sub.waitFor(
        onTopic('blekit/gateways/lab/status', (p) => p.state === 'offline'),
        30_000,
        'last will',
      );
      assert.equal((await retained(1884, 'blekit/gateways/lab/status')).state, 'offline');
    } finally {
      await stop(gw, 'SIGKILL');
      await stop(sub);
    }
  },
);

test(
  'embedded broker: mosquitto_sub reads the gateway with no broker installed',
  { timeout: 300_000 },
  async () => {
    const gw = start(process.execPath, [
      blekitBin,
      'gateway',
      '--adapter',
      'hci0',
      '--listen',
      '127.0.0.1:1885',
      '--id',
      'emb',
      '--json',
    ]);
    let sub: Proc | undefined;
    try {
      await gw.waitFor((l) => l.includes('"ready"'), 150_000, 'gateway ready');
      assert.equal((await retained(1885, 'blekit/gateways/emb/status')).state, 'online');
      sub = start('mosquitto_sub', ['-p', '1885', '-v', '-t', 'blekit/#', '-t', 'homeassistant/#']);
      const b = message(
        await sub.waitFor(onTopic(`${DEVICE}/bthome`), 90_000, 'bthome message'),
      ).payload;
      assert.equal(typeof (b.values as { temperature?: number }).temperature, 'number');
      assert.equal(b.gateway, 'emb');
      await sub.waitFor(
        onTopic('homeassistant/sensor/blekit_00AA01010001/temperature/config'),
        10_000,
        'HA config',
      );
      assert.equal((await retained(1885, `${DEVICE}/presence`)).present, true);
      assert.equal(await stop(gw, 'SIGINT'), 0, gw.output());
      const stopped = JSON.parse(gw.lines.find((l) => l.includes('"stopped"')) ?? '{}');
      assert.ok(stopped.published > 0, gw.output());
    } finally {
      await stop(sub);
      await stop(gw, 'SIGKILL');
    }
  },
);
