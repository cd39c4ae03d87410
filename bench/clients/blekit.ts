// blekit's central as a bench client. options.backend picks the backend ('dbus', 'gatttool',
// 'bgapi'); for dbus, options.acquire switches the AcquireNotify/AcquireWrite fast paths
// (false also subscribes with forceStartNotify, so both paths are the plain D-Bus ones);
// options.ordered false writes without response with `ordered: false`. Credit grants are
// always written with `ordered: false`: they add up, so their order does not matter.
import { readFileSync } from 'node:fs';
import { Central, type Device, type ScanResult } from '../../src/central/index.js';
import { DbusBackend } from '../../src/backends/dbus/index.js';
import { loadBackend } from '../../src/cli/backends.js';
import type { CentralBackend } from '../../src/central/index.js';
import { ADV_COMPANY, type ClientConfig } from '../protocol.js';
import { main, type LibraryAdapter } from './driver.js';

function blekitVersion(): string {
  const pkg = new URL('../../../package.json', import.meta.url);
  return (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
}

async function make(cfg: ClientConfig): Promise<LibraryAdapter> {
  const o = cfg.options ?? {};
  const backendName = String(o.backend ?? 'dbus');
  const acquire = o.acquire !== false;
  const ordered = o.ordered !== false;
  const newBackend = async (): Promise<CentralBackend> =>
    backendName === 'dbus'
      ? new DbusBackend({ acquire })
      : (await loadBackend(backendName, { port: o.port as string | undefined }))();
  const backend = await newBackend();
  const central = new Central({ backend, adapter: cfg.adapter });
  await central.start();
  let device: Device | undefined;
  // The connection (and its path counters) is gone after disconnect: keep the last figures.
  let pathStats: unknown;
  const snapshot = (): void => {
    if (backend instanceof DbusBackend) pathStats = backend.pathStats(cfg.address) ?? pathStats;
  };
  const dev = (): Device => {
    if (!device) throw new Error('not connected');
    return device;
  };
  return {
    library: `blekit-${backendName}`,
    version: blekitVersion(),
    windowed: true,
    async scan(onScanning) {
      const stop = new AbortController();
      const found = new Promise<void>((resolve) => {
        central.on('discover', (r: { address: string }) => {
          if (r.address === cfg.address) {
            resolve();
            stop.abort();
          }
        });
      });
      const scan = central.scan({ durationMs: 30_000, signal: stop.signal, duplicates: true });
      central.once('scanStart', onScanning);
      await Promise.race([found, scan.then(() => Promise.reject(new Error('not seen in 30 s')))]);
      await scan;
    },
    async scanAdvertisements(onData) {
      // After disconnect the first central is stopped (as before this test existed, so the
      // link is gone): a second one in the same process scans, as an application would.
      const central = new Central({ backend: await newBackend(), adapter: cfg.adapter });
      await central.start();
      const stop = new AbortController();
      const onDiscover = (r: ScanResult): void => {
        const m = r.address === cfg.address && r.advertisement.manufacturerData.get(ADV_COMPANY);
        if (m) onData(m);
      };
      central.on('discover', onDiscover);
      const started = new Promise<void>((resolve) => central.once('scanStart', resolve));
      const scan = central.scan({ durationMs: Infinity, signal: stop.signal, duplicates: true });
      await Promise.race([started, scan.then(() => Promise.reject(new Error('scan ended')))]);
      return async () => {
        stop.abort();
        await scan;
        central.off('discover', onDiscover);
        await central.stop();
      };
    },
    async connect() {
      device = await central.connect(cfg.address, { timeoutMs: 30_000 });
      await device.discover();
    },
    read: (uuid) => dev().read(uuid),
    write: (uuid, value, withResponse) =>
      dev().write(uuid, value, {
        withoutResponse: !withResponse,
        ordered: ordered && uuid !== cfg.uuids.credits,
      }),
    async subscribe(uuid, onValue) {
      await dev().subscribe(uuid, (v) => onValue(v), { forceStartNotify: !acquire });
    },
    unsubscribe: (uuid) => dev().unsubscribe(uuid),
    async disconnect() {
      snapshot();
      await device?.disconnect();
      await central.stop();
    },
    notes() {
      const n: Record<string, unknown> = { backend: backendName };
      if (backend instanceof DbusBackend) {
        n.acquire = acquire;
        snapshot();
        n.pathStats = pathStats;
      }
      return n;
    },
  };
}

await main(make);
