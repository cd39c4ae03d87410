import { EventEmitter } from 'node:events';
import type { WireMessage } from '../dbus/message-codec.js';
import { getManagedObjects, subscribeSignals, type PeripheralBus } from './calls.js';
import { deviceFromPath } from './gatt-requests.js';
import type { RemoteDevice } from '../peripheral/gatt/types.js';
import { BLUEZ, IFACE, unwrapProps, type Device1Props } from './names.js';

/** Follows Device1.Connected under one adapter: which centrals are connected right now. */
export class DeviceWatch extends EventEmitter<{
  connect: [device: RemoteDevice];
  disconnect: [device: RemoteDevice];
}> {
  private readonly connected = new Map<string, RemoteDevice>();
  private unsubscribers: (() => Promise<void>)[] = [];

  constructor(
    private readonly bus: PeripheralBus,
    private readonly adapterPath: string,
  ) {
    super();
  }

  get devices(): RemoteDevice[] {
    return [...this.connected.values()];
  }

  async start(): Promise<void> {
    this.unsubscribers.push(
      await subscribeSignals(
        this.bus,
        {
          sender: BLUEZ,
          interface: IFACE.props,
          member: 'PropertiesChanged',
          pathNamespace: this.adapterPath,
        },
        (msg) => this.onPropertiesChanged(msg),
      ),
      await subscribeSignals(
        this.bus,
        {
          sender: BLUEZ,
          interface: IFACE.objectManager,
          member: 'InterfacesRemoved',
        },
        (msg) => this.onRemoved(msg),
      ),
      // A central BlueZ has never seen appears with Connected already true.
      await subscribeSignals(
        this.bus,
        {
          sender: BLUEZ,
          interface: IFACE.objectManager,
          member: 'InterfacesAdded',
        },
        (msg) => this.onAdded(msg),
      ),
    );
    const objs = await getManagedObjects(this.bus);
    for (const [path, ifaces] of Object.entries(objs)) {
      if (ifaces[IFACE.device]?.Connected === true) this.set(path, true);
    }
  }

  async stop(): Promise<void> {
    const u = this.unsubscribers.splice(0);
    await Promise.all(u.map((f) => f()));
  }

  /**
   * bluetoothd went away: its Device objects went with it, unannounced. Every central counts as
   * disconnected; a link that survives shows up again as InterfacesAdded with Connected true.
   */
  bluezGone(): void {
    for (const path of [...this.connected.keys()]) this.set(path, false);
  }

  private onPropertiesChanged(msg: WireMessage): void {
    const [iface, changed] = msg.body as [string, Record<string, unknown>];
    if (iface !== IFACE.device) return;
    const props: Device1Props = unwrapProps(changed);
    if (typeof props.Connected === 'boolean') this.set(msg.path ?? '', props.Connected);
  }

  private onAdded(msg: WireMessage): void {
    const [path, ifaces] = msg.body as [string, Record<string, Record<string, unknown>>];
    const dev = ifaces?.[IFACE.device];
    if (dev && (unwrapProps(dev) as Device1Props).Connected === true) this.set(path, true);
  }

  private onRemoved(msg: WireMessage): void {
    const [path, ifaces] = msg.body as [string, string[]];
    if (ifaces.includes(IFACE.device)) this.set(path, false);
  }

  private set(path: string, on: boolean): void {
    if (!path.startsWith(this.adapterPath + '/')) return;
    const dev = deviceFromPath(path);
    if (!dev) return;
    if (on && !this.connected.has(path)) {
      this.connected.set(path, dev);
      this.emit('connect', dev);
    } else if (!on && this.connected.delete(path)) {
      this.emit('disconnect', dev);
    }
  }
}
