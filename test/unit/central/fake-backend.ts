// An in-memory CentralBackend: lets the backend-neutral layer be tested without Bluetooth.
import { NotConnectedError, NotSupportedError, type AddressType } from '../../../src/core/index.js';
import type {
  AdapterInfo,
  BackendCallOptions,
  BackendWriteOptions,
  BackendConnection,
  BackendConnectOptions,
  BackendScanOptions,
  BackendSubscribeOptions,
  CentralBackend,
  ConnectionEvents,
} from '../../../src/central/backend.js';
import type {
  CharacteristicInfo,
  ScanResult,
  SecurityLevel,
  ServiceInfo,
} from '../../../src/central/types.js';

export const props = (over: Partial<CharacteristicInfo['properties']> = {}) => ({
  broadcast: false,
  read: true,
  writeWithoutResponse: true,
  write: true,
  notify: true,
  indicate: false,
  authenticatedSignedWrites: false,
  extendedProperties: false,
  reliableWrite: false,
  writableAuxiliaries: false,
  ...over,
});

export function sampleDb(offset = 0): ServiceInfo[] {
  return [
    {
      uuid: '0000180d-0000-1000-8000-00805f9b34fb',
      primary: true,
      startHandle: 0x10 + offset,
      endHandle: 0x16 + offset,
      includes: [],
      characteristics: [
        {
          uuid: '00002a37-0000-1000-8000-00805f9b34fb',
          handle: 0x11 + offset,
          valueHandle: 0x12 + offset,
          properties: props({ read: false }),
          descriptors: [{ uuid: '00002902-0000-1000-8000-00805f9b34fb', handle: 0x13 + offset }],
        },
        {
          uuid: '00002a38-0000-1000-8000-00805f9b34fb',
          handle: 0x14 + offset,
          valueHandle: 0x15 + offset,
          properties: props({ notify: false }),
          descriptors: [],
        },
      ],
    },
    {
      uuid: '0000180f-0000-1000-8000-00805f9b34fb',
      primary: true,
      startHandle: 0x20 + offset,
      endHandle: 0x22 + offset,
      includes: [],
      characteristics: [
        {
          uuid: '00002a38-0000-1000-8000-00805f9b34fb',
          handle: 0x21 + offset,
          valueHandle: 0x22 + offset,
          properties: props({ notify: false }),
          descriptors: [],
        },
      ],
    },
  ];
}

export class FakeConnection implements BackendConnection {
  connected = true;
  readonly log: string[] = [];
  readonly values = new Map<number, Buffer>();
  readonly listeners = new Map<number, (v: Buffer) => void>();
  db: ServiceInfo[];
  constructor(
    readonly address: string,
    readonly addressType: AddressType,
    readonly events: ConnectionEvents,
    dbOffset = 0,
  ) {
    this.db = sampleDb(dbOffset);
  }
  private check(): void {
    if (!this.connected) throw new NotConnectedError('fake: not connected');
  }
  /** Operations ('read', 'subscribe', 'pair'...) that wait until releaseHeld() or an abort. */
  readonly held = new Set<string>();
  /** Held operations ignore their signal (a backend that cannot cancel) and finish later. */
  ignoreSignal = false;
  private waiting: (() => void)[] = [];
  releaseHeld(): void {
    this.held.clear();
    for (const w of this.waiting.splice(0)) w();
  }
  private async gate(op: string, call?: BackendCallOptions): Promise<void> {
    if (!this.held.has(op)) return;
    const signal = this.ignoreSignal ? undefined : call?.signal;
    await new Promise<void>((resolve, reject) => {
      this.waiting.push(resolve);
      signal?.addEventListener(
        'abort',
        () => {
          this.log.push(`cancel ${op}`);
          reject(signal.reason as Error);
        },
        { once: true },
      );
    });
  }
  async disconnect(): Promise<void> {
    this.log.push('disconnect');
    this.drop('local');
  }
  drop(reason: 'local' | 'remote' = 'remote'): void {
    if (!this.connected) return;
    this.connected = false;
    this.events.onDisconnect(reason);
  }
  async discover(_refresh?: boolean, call?: BackendCallOptions): Promise<ServiceInfo[]> {
    this.check();
    await this.gate('discover', call);
    this.log.push('discover');
    return structuredClone(this.db);
  }
  async read(c: CharacteristicInfo, call?: BackendCallOptions): Promise<Buffer> {
    this.check();
    await this.gate('read', call);
    this.log.push(`read ${c.valueHandle}`);
    return this.values.get(c.valueHandle) ?? Buffer.alloc(0);
  }
  async write(
    c: CharacteristicInfo,
    v: Buffer,
    withResponse: boolean,
    call?: BackendWriteOptions,
  ): Promise<void> {
    this.check();
    await this.gate('write', call);
    const how = withResponse ? 'req' : call?.unordered ? 'cmd unordered' : 'cmd';
    this.log.push(`write ${c.valueHandle} ${v.toString('hex')} ${how}`);
    this.values.set(c.valueHandle, v);
  }
  async readDescriptor(h: number): Promise<Buffer> {
    this.log.push(`readDesc ${h}`);
    return Buffer.from([1, 0]);
  }
  async writeDescriptor(h: number, v: Buffer): Promise<void> {
    this.log.push(`writeDesc ${h} ${v.toString('hex')}`);
  }
  async subscribe(
    c: CharacteristicInfo,
    _o: BackendSubscribeOptions,
    onValue: (v: Buffer) => void,
    call?: BackendCallOptions,
  ): Promise<void> {
    this.check();
    await this.gate('subscribe', call);
    this.log.push(`subscribe ${c.valueHandle}`);
    const refusal = this.refuseSubscribe.get(c.valueHandle);
    if (refusal) throw refusal;
    this.listeners.set(c.valueHandle, onValue);
  }
  /** Value handles whose subscribe() fails with the given error (the link stays up). */
  readonly refuseSubscribe = new Map<number, Error>();
  /** Value handles whose subscription survives a database change (subscriptionAlive). */
  readonly aliveSubscriptions = new Set<number>();
  subscriptionAlive(c: CharacteristicInfo): boolean {
    return this.listeners.has(c.valueHandle) && this.aliveSubscriptions.has(c.valueHandle);
  }
  async unsubscribe(c: CharacteristicInfo): Promise<void> {
    this.log.push(`unsubscribe ${c.valueHandle}`);
    this.listeners.delete(c.valueHandle);
  }
  mtu(): number {
    return 23;
  }
  async exchangeMtu(): Promise<number> {
    throw new NotSupportedError('fake');
  }
  /** What rssi() answers; undefined plays a controller without a reading. */
  rssiValue: number | undefined = -50;
  async rssi(call?: BackendCallOptions): Promise<number | undefined> {
    await this.gate('rssi', call);
    return this.rssiValue;
  }
  async pair(level: SecurityLevel, call?: BackendCallOptions): Promise<void> {
    await this.gate('pair', call);
    this.log.push(`pair ${level}`);
  }
}

export class FakeBackend implements CentralBackend {
  readonly name = 'fake';
  readonly capabilities = {
    passiveScan: false,
    mtuExchange: false,
    connectionRssi: true,
    pairing: true,
    bluezAgents: false,
  };
  started = false;
  scanning = false;
  scanOptions: BackendScanOptions | undefined;
  sink: ((r: ScanResult) => void) | undefined;
  readonly connections: FakeConnection[] = [];
  connectCalls = 0;
  /** Failures to throw from the next connect() calls, in order. */
  failNext: Error[] = [];
  dbOffsetForNext = 0;
  /** Called with each new connection before connect() returns it (to shape its database). */
  onConnection: ((c: FakeConnection) => void) | undefined;
  readonly bondsRemoved: (string | undefined)[] = [];

  async start(): Promise<AdapterInfo> {
    this.started = true;
    return { name: 'hci0', address: '00:AA:01:00:00:00', powered: true };
  }
  async stop(): Promise<void> {
    this.started = false;
  }
  async setPowered(): Promise<void> {}
  async reset(): Promise<void> {}
  async startScan(o: BackendScanOptions, onReport: (r: ScanResult) => void): Promise<void> {
    this.scanning = true;
    this.scanOptions = o;
    this.sink = onReport;
  }
  async stopScan(): Promise<void> {
    this.scanning = false;
    this.sink = undefined;
  }
  async connect(
    address: string,
    o: BackendConnectOptions,
    events: ConnectionEvents,
  ): Promise<FakeConnection> {
    this.connectCalls++;
    const f = this.failNext.shift();
    if (f) throw f;
    const c = new FakeConnection(address, o.addressType ?? 'public', events, this.dbOffsetForNext);
    this.connections.push(c);
    this.onConnection?.(c);
    return c;
  }
  async removeBond(address?: string): Promise<void> {
    this.bondsRemoved.push(address);
  }
}
