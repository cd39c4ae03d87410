// A gateway in miniature: scans for heart-rate sensors, connects to each one it finds (up to
// --devices), streams every sensor's measurements at once with notifications(), and stops them
// all cleanly on Ctrl-C (one AbortController cancels the scan, the connects and the streams).
//   node dist/examples/multi-sensor-central.js [--adapter hci0] [--devices 2] [--scan-seconds 30]
import { parseArgs } from 'node:util';
import { DbusBackend } from '../src/backends/dbus/index.js';
import { Central, type Device } from '../src/central/index.js';
import { AbortError } from '../src/core/index.js';

const HEART_RATE = '180d';
const MEASUREMENT = '2a37';

/** Streams one sensor until the signal aborts or the device goes away; returns what it counted. */
async function stream(device: Device, signal: AbortSignal): Promise<number> {
  let count = 0;
  const values = device.notifications(
    { service: HEART_RATE, characteristic: MEASUREMENT },
    { signal },
  );
  try {
    for await (const v of values) {
      count++;
      // Heart Rate Measurement: flags, then bpm as u8 (or u16 when flags bit 0 is set).
      const bpm = (v[0] ?? 0) & 1 ? v.readUInt16LE(1) : v[1];
      console.log(`${device.address} heart rate ${bpm} bpm`);
    }
  } catch (e) {
    if (!(e instanceof AbortError)) throw e;
  }
  if (values.dropped > 0) console.log(`${device.address} dropped ${values.dropped} values`);
  return count;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      adapter: { type: 'string', default: 'hci0' },
      devices: { type: 'string', default: '2' },
      'scan-seconds': { type: 'string', default: '30' },
    },
  });
  const wanted = Number(values.devices);
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());

  await using central = new Central({ backend: new DbusBackend(), adapter: values.adapter });
  const info = await central.start();
  console.log(`adapter ${info.name} ${info.address}`);

  const found = new Set<string>();
  console.log(`scanning for ${wanted} heart rate sensors (service ${HEART_RATE}) ...`);
  try {
    for await (const r of central.scanStream({
      serviceUuids: [HEART_RATE],
      durationMs: Number(values['scan-seconds']) * 1000,
      signal: stop.signal,
    })) {
      if (found.has(r.address)) continue;
      found.add(r.address);
      console.log(`found ${r.address} ${r.name ?? '(no name)'}`);
      if (found.size >= wanted) break;
    }
  } catch (e) {
    if (!(e instanceof AbortError)) throw e;
  }
  if (found.size === 0) throw new Error('no heart rate sensor found');

  const devices: Device[] = [];
  try {
    for (const address of found) {
      const device = await central.connect(address, { timeoutMs: 30_000, signal: stop.signal });
      devices.push(device);
      console.log(`connected ${address}`);
    }
    console.log(`streaming from ${devices.length} sensors (Ctrl-C stops) ...`);
    const counts = await Promise.all(devices.map((d) => stream(d, stop.signal)));
    devices.forEach((d, i) => console.log(`${d.address}: ${counts[i]} measurements`));
  } finally {
    await Promise.all(devices.map((d) => d.disconnect().catch(() => undefined)));
  }
}

main().catch((e: unknown) => {
  console.error(`multi-sensor-central: ${(e as Error).message}`);
  process.exitCode = 1;
});
