import { NotConnectedError, type BytesLike } from '../core/index.js';
import type { CentralBackendFactory } from './backend.js';
import { Central } from './central.js';
import type { Device } from './device.js';
import type {
  CharacteristicRef,
  NotificationCallback,
  SecurityLevel,
  ServiceInfo,
} from './types.js';

/** What every facade call resolves to; it never rejects. */
export interface FacadeResult<T = void> {
  result: 'ok' | 'error';
  /** Empty on success; the error message otherwise. */
  reason: string;
  value?: T;
  /** The typed error, for programs that want its class or `code`. */
  error?: unknown;
}

async function settle<T>(fn: () => Promise<T>): Promise<FacadeResult<T>> {
  try {
    const value = await fn();
    return value === undefined ? { result: 'ok', reason: '' } : { result: 'ok', reason: '', value };
  } catch (e) {
    return { result: 'error', reason: e instanceof Error ? e.message : String(e), error: e };
  }
}

function ref(chr: string | undefined, handle: number | undefined): CharacteristicRef {
  return handle !== undefined && handle !== null ? { handle } : (chr as string);
}

/**
 * pybtle's gattc in TypeScript: one connection per adapter index (`devId`), every call
 * resolving to { result, reason, value } instead of throwing. A characteristic is named by
 * UUID, or by value handle when `handle` is given.
 */
export class GattClient {
  private readonly centrals = new Map<number, Central>();
  private readonly devices = new Map<number, Device>();

  constructor(private readonly backendFactory: CentralBackendFactory) {}

  /** Connects to `address`; the value is the device id the other calls take. */
  connect(
    devId: number,
    addr: string,
    addrType: 'public' | 'random' = 'public',
    secLevel: SecurityLevel = 'low',
  ): Promise<FacadeResult> {
    return settle(async () => {
      let central = this.centrals.get(devId);
      if (!central) {
        central = new Central({ backend: this.backendFactory(), adapter: devId });
        await central.start();
        this.centrals.set(devId, central);
      }
      const device = await central.connect(addr, {
        addressType: addrType,
        securityLevel: secLevel,
      });
      this.devices.set(devId, device);
    });
  }

  /** Disconnects the device with this id. */
  disconnect(devId: number): Promise<FacadeResult> {
    return settle(async () => {
      await this.device(devId).disconnect();
      this.devices.delete(devId);
    });
  }

  /** The whole database: services with their characteristics and descriptors. */
  getDb(devId: number): Promise<FacadeResult<ServiceInfo[]>> {
    return settle(() => this.device(devId).discover());
  }

  /** Reads by characteristic UUID or by value handle. */
  read(devId: number, chr?: string, handle?: number): Promise<FacadeResult<Buffer>> {
    return settle(() => this.device(devId).read(ref(chr, handle)));
  }

  /** Write without response, by characteristic UUID or by value handle. */
  writeCmd(devId: number, chr: string | undefined, handle: number | undefined, value: BytesLike) {
    return settle(() =>
      this.device(devId).write(ref(chr, handle), value, { withoutResponse: true }),
    );
  }

  /** Write with response, by characteristic UUID or by value handle. */
  writeReq(devId: number, chr: string | undefined, handle: number | undefined, value: BytesLike) {
    return settle(() => this.device(devId).write(ref(chr, handle), value));
  }

  /** Calls `callback` with each notification of the characteristic. */
  subscribeNotification(
    devId: number,
    chrcUuid: string,
    notificationCb: NotificationCallback,
  ): Promise<FacadeResult> {
    return settle(async () => {
      await this.device(devId).subscribe(chrcUuid, notificationCb);
    });
  }

  /** Stops the notifications of the characteristic. */
  unsubscribeNotification(devId: number, chrcUuid: string): Promise<FacadeResult> {
    return settle(() => this.device(devId).unsubscribe(chrcUuid));
  }

  /** Disconnects and stops every adapter this client opened. */
  close(): Promise<FacadeResult> {
    return settle(async () => {
      const centrals = [...this.centrals.values()];
      this.centrals.clear();
      this.devices.clear();
      await Promise.all(centrals.map((c) => c.stop()));
    });
  }

  private device(devId: number): Device {
    const d = this.devices.get(devId);
    if (!d) throw new NotConnectedError(`No connection on adapter ${devId}: call connect() first`);
    return d;
  }
}
