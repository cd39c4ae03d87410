// @stoprocent/noble as a bench client on the HCI user channel (bypassing bluetoothd): the
// orchestrator powers the controller off for bluetoothd before this runs.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { ADV_COMPANY, type ClientConfig } from '../protocol.js';
import { main, type LibraryAdapter } from './driver.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- typed loosely: loaded by name */
type Any = any;

const bare = (u: string): string => u.replace(/-/g, '').toLowerCase();

async function make(cfg: ClientConfig): Promise<LibraryAdapter> {
  const require = createRequire(import.meta.url);
  const pkgPath = require.resolve('@stoprocent/noble/package.json');
  const version = (JSON.parse(readFileSync(pkgPath, 'utf8')) as { version: string }).version;
  const { withBindings } = require('@stoprocent/noble') as Any;
  const deviceId = Number(cfg.adapter.replace('hci', ''));
  const noble = withBindings('hci', { deviceId, userChannel: true });
  await noble.waitForPoweredOnAsync(30_000);
  const want = cfg.address.toLowerCase();
  let peripheral: Any;
  const chars = new Map<string, Any>();
  const ch = (uuid: string): Any => {
    const c = chars.get(bare(uuid));
    if (!c) throw new Error(`no characteristic ${uuid}`);
    return c;
  };
  const listeners = new Map<string, (v: Buffer) => void>();
  return {
    library: 'noble',
    version,
    async scan(onScanning) {
      const found = new Promise<Any>((resolve) => {
        const onDiscover = (p: Any): void => {
          if (String(p.address).toLowerCase() === want) {
            noble.removeListener('discover', onDiscover);
            resolve(p);
          }
        };
        noble.on('discover', onDiscover);
      });
      await noble.startScanningAsync([], true);
      onScanning();
      let t: NodeJS.Timeout | undefined;
      peripheral = await Promise.race([
        found,
        new Promise((_, rej) => (t = setTimeout(() => rej(new Error('not seen in 30 s')), 30_000))),
      ]).finally(() => clearTimeout(t));
      await noble.stopScanningAsync();
    },
    async scanAdvertisements(onData) {
      // allowDuplicates: a 'discover' per report; manufacturerData starts with the company id.
      const onDiscover = (p: Any): void => {
        const m = p.advertisement?.manufacturerData as Buffer | undefined;
        if (String(p.address).toLowerCase() !== want || !m || m.length < 2) return;
        if (m.readUInt16LE(0) === ADV_COMPANY) onData(m.subarray(2));
      };
      noble.on('discover', onDiscover);
      await noble.startScanningAsync([], true);
      return async () => {
        await noble.stopScanningAsync();
        noble.removeListener('discover', onDiscover);
      };
    },
    async connect() {
      await peripheral.connectAsync();
      const { characteristics } = await peripheral.discoverAllServicesAndCharacteristicsAsync();
      for (const c of characteristics as Any[]) chars.set(bare(String(c.uuid)), c);
    },
    read: (uuid) => ch(uuid).readAsync() as Promise<Buffer>,
    write: (uuid, value, withResponse) => ch(uuid).writeAsync(value, !withResponse),
    async subscribe(uuid, onValue) {
      listeners.set(uuid, onValue);
      ch(uuid).on('data', onValue);
      await ch(uuid).subscribeAsync();
    },
    async unsubscribe(uuid) {
      await ch(uuid).unsubscribeAsync();
      const l = listeners.get(uuid);
      if (l) ch(uuid).removeListener('data', l);
    },
    async disconnect() {
      await peripheral.disconnectAsync();
    },
    async close() {
      noble.stop?.();
    },
  };
}

await main(make);
