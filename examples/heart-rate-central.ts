// Heart rate central: scans for a Heart Rate sensor (or uses the address given), connects,
// reads the Body Sensor Location, prints live Heart Rate Measurements, then exits cleanly.
//   node dist/examples/heart-rate-central.js [ADDRESS] [--adapter hci0] [--seconds 10]
import { parseArgs } from 'node:util';
import { DbusBackend } from '../src/backends/dbus/index.js';
import { Central, type Device } from '../src/central/index.js';

const HEART_RATE = '180d';
const MEASUREMENT = '2a37';
const SENSOR_LOCATION = '2a38';
const LOCATIONS = ['other', 'chest', 'wrist', 'finger', 'hand', 'ear lobe', 'foot'];

/** Heart Rate Measurement (GATT Specification Supplement 3.113): flags, then bpm as u8 or u16. */
function parseMeasurement(v: Buffer): { bpm: number; energy?: number } {
  const flags = v[0] ?? 0;
  const wide = (flags & 0x01) !== 0;
  const bpm = wide ? v.readUInt16LE(1) : (v[1] ?? 0);
  let i = wide ? 3 : 2;
  const out: { bpm: number; energy?: number } = { bpm };
  if (flags & 0x08 && v.length >= i + 2) {
    out.energy = v.readUInt16LE(i);
    i += 2;
  }
  return out;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      adapter: { type: 'string', default: 'hci0' },
      seconds: { type: 'string', default: '10' },
      'scan-seconds': { type: 'string', default: '30' },
    },
  });
  const seconds = Number(values.seconds);
  const central = new Central({ backend: new DbusBackend(), adapter: values.adapter });
  const info = await central.start();
  console.log(`adapter ${info.name} ${info.address}`);
  let device: Device | undefined;
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  try {
    let address = positionals[0];
    if (!address) {
      console.log(`scanning for a heart rate sensor (service ${HEART_RATE}) ...`);
      for await (const r of central.scanStream({
        serviceUuids: [HEART_RATE],
        durationMs: Number(values['scan-seconds']) * 1000,
        signal: stop.signal,
      })) {
        console.log(`found ${r.address} ${r.name ?? '(no name)'} rssi ${r.rssi ?? '?'}`);
        address = r.address;
        break;
      }
      if (!address) throw new Error('no heart rate sensor found');
    }
    console.log(`connecting to ${address} ...`);
    device = await central.connect(address, { timeoutMs: 30_000, signal: stop.signal });
    device.registerDisconnectCallback((_d, reason) => console.log(`disconnected (${reason})`));
    await device.discover();
    try {
      const loc = await device.read({ service: HEART_RATE, characteristic: SENSOR_LOCATION });
      console.log(`sensor location: ${LOCATIONS[loc[0] ?? 0] ?? loc.toString('hex')}`);
    } catch (e) {
      console.log(`sensor location unavailable: ${(e as Error).message}`);
    }
    let count = 0;
    await device.subscribe({ service: HEART_RATE, characteristic: MEASUREMENT }, (v) => {
      const m = parseMeasurement(v);
      count++;
      console.log(
        `heart rate ${m.bpm} bpm${m.energy !== undefined ? `, energy ${m.energy} kJ` : ''}`,
      );
    });
    console.log(`listening for ${seconds} s (Ctrl-C stops) ...`);
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, seconds * 1000);
      stop.signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
    });
    console.log(`${count} measurements received`);
    if (count === 0) process.exitCode = 1;
  } finally {
    await device?.disconnect().catch(() => undefined);
    await central.stop();
  }
}

main().catch((e: unknown) => {
  console.error(`heart-rate-central: ${(e as Error).message}`);
  process.exitCode = 1;
});
