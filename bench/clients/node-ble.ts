// node-ble (BlueZ over D-Bus through dbus-next) as a bench client, used the way its README
// shows: waitDevice while discovering, connect, gatt(), characteristics by UUID.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { ClientConfig } from '../protocol.js';
import { main, type LibraryAdapter } from './driver.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- node-ble ships no TypeScript types */
type Any = any;

async function make(cfg: ClientConfig): Promise<LibraryAdapter> {
  const require = createRequire(import.meta.url);
  const pkgPath = require.resolve('node-ble/package.json');
  const version = (JSON.parse(readFileSync(pkgPath, 'utf8')) as { version: string }).version;
  const { createBluetooth } = require('node-ble') as Any;
  const { bluetooth, destroy } = createBluetooth();
  const adapter = await bluetooth.getAdapter(cfg.adapter);
  let device: Any;
  const chars = new Map<string, Any>();
  const ch = (uuid: string): Any => {
    const c = chars.get(uuid);
    if (!c) throw new Error(`no characteristic ${uuid}`);
    return c;
  };
  const listeners = new Map<string, (v: Buffer) => void>();
  return {
    library: 'node-ble',
    version,
    async scan(onScanning) {
      if (!(await adapter.isDiscovering())) await adapter.startDiscovery();
      onScanning();
      device = await adapter.waitDevice(cfg.address, 30_000);
      await adapter.stopDiscovery();
    },
    async connect() {
      await device.connect();
      const gatt = await device.gatt();
      const svc = await gatt.getPrimaryService(cfg.uuids.service);
      for (const uuid of await svc.characteristics()) {
        chars.set(uuid, await svc.getCharacteristic(uuid));
      }
    },
    read: (uuid) => ch(uuid).readValue() as Promise<Buffer>,
    write: (uuid, value, withResponse) =>
      withResponse
        ? ch(uuid).writeValueWithResponse(value)
        : ch(uuid).writeValueWithoutResponse(value),
    async subscribe(uuid, onValue) {
      listeners.set(uuid, onValue);
      ch(uuid).on('valuechanged', onValue);
      await ch(uuid).startNotifications();
    },
    async unsubscribe(uuid) {
      await ch(uuid).stopNotifications();
      const l = listeners.get(uuid);
      if (l) ch(uuid).off('valuechanged', l);
    },
    async disconnect() {
      await device.disconnect();
      destroy();
    },
  };
}

await main(make);
