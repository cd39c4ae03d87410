import {
  CccdValue,
  InvalidArgumentError,
  NotConnectedError,
  NotSupportedError,
  formatHandle,
  normalizeUuid,
  toHex,
  uuidFromBytes,
  validateHandle,
  type AddressType,
} from '../../core/index.js';
import type {
  BackendConnection,
  BackendSubscribeOptions,
  ConnectionEvents,
} from '../../central/backend.js';
import type {
  CharacteristicInfo,
  DisconnectReason,
  SecurityLevel,
  ServiceInfo,
} from '../../central/types.js';
import {
  assembleServices,
  hasCharacteristics,
  hasIncludes,
  secondaryRanges,
  type SecondaryService,
} from './discovery.js';
import type { GatttoolEvent } from './parser.js';
import type { CommandSpec, GatttoolSession } from './session.js';
import { describeValue } from '../../core/describe.js';
import { ATT_DEFAULT_MTU, ATT_MAX_MTU, GattUuid16 } from '../../protocol/index.js';

const CCCD = normalizeUuid(GattUuid16.Cccd);

export interface GatttoolConnectionOptions {
  /** Time limit of each ATT operation; default 30 000 ms. */
  operationTimeoutMs: number;
  /** Time limit of a whole discovery; default 60 000 ms. */
  discoveryTimeoutMs: number;
}

type Ev<K extends GatttoolEvent['kind']> = Extract<GatttoolEvent, { kind: K }>;

const is =
  <K extends GatttoolEvent['kind']>(kind: K) =>
  (ev: GatttoolEvent): ev is Ev<K> =>
    ev.kind === kind;

const pick =
  <K extends GatttoolEvent['kind'], T>(kind: K, f: (ev: Ev<K>) => T) =>
  (ev: GatttoolEvent): T | undefined =>
    ev.kind === kind ? f(ev as Ev<K>) : undefined;

/** One LE link driven through a `gatttool -I` session. */
export class GatttoolConnection implements BackendConnection {
  private live = true;
  private localClose = false;
  private negotiatedMtu = ATT_DEFAULT_MTU;
  private mtuExchanged = false;
  private cache: ServiceInfo[] | undefined;
  private readonly handlers = new Map<number, (value: Buffer) => void>();
  private readonly cleanups: (() => void)[] = [];

  /** @internal The backend makes connections. */
  constructor(
    /** The gatttool process this link lives in; it ends with the link. */
    readonly session: GatttoolSession,
    readonly address: string,
    readonly addressType: AddressType,
    private readonly events: ConnectionEvents,
    private readonly options: GatttoolConnectionOptions,
    private readonly onClosed: (c: GatttoolConnection) => void,
  ) {
    this.cleanups.push(
      session.onEvent((ev) => {
        if (ev.kind === 'notification') this.handlers.get(ev.handle)?.(ev.value);
        else if (ev.kind === 'prompt' && !ev.connected)
          this.gone(this.localClose ? 'local' : 'remote');
      }),
      session.onExit(() => this.gone(this.localClose ? 'local' : 'unknown')),
    );
  }

  get connected(): boolean {
    return this.live;
  }

  private gone(reason: DisconnectReason): void {
    if (!this.live) return;
    this.live = false;
    for (const c of this.cleanups.splice(0)) c();
    this.handlers.clear();
    this.onClosed(this);
    this.events.onDisconnect(reason);
  }

  private run<T>(line: string, spec: CommandSpec<T>, what: string, timeoutMs?: number): Promise<T> {
    if (!this.live)
      return Promise.reject(new NotConnectedError(`${this.address} is not connected`));
    return this.session.command(line, spec, {
      what: `${what} (${this.address})`,
      timeoutMs: timeoutMs ?? this.options.operationTimeoutMs,
    });
  }

  async disconnect(): Promise<void> {
    if (!this.live) return;
    this.localClose = true;
    await this.session
      .command('disconnect', { needsLink: false }, { what: 'disconnect', timeoutMs: 10_000 })
      .catch(() => undefined);
    this.gone('local');
  }

  async discover(refresh: boolean): Promise<ServiceInfo[]> {
    if (this.cache && !refresh) return this.cache;
    const t = this.options.discoveryTimeoutMs;
    const primaries = await this.run<Ev<'primary'>[]>(
      'primary',
      { list: is('primary'), emptyWhen: /No primary service found/ },
      'primary service discovery',
      t,
    );
    const attributes = await this.run<Ev<'descriptor'>[]>(
      'char-desc',
      { list: is('descriptor'), emptyWhen: /No attribute found/ },
      'descriptor discovery',
      t,
    );
    const secondaries: SecondaryService[] = [];
    for (const range of secondaryRanges(attributes)) {
      // The declaration's value is the service UUID (2 or 16 bytes, little-endian).
      const value = await this.readHandle(range.start, 'secondary service declaration');
      secondaries.push({ ...range, uuid: uuidFromBytes(value) });
    }
    const characteristics = hasCharacteristics(attributes)
      ? await this.run<Ev<'characteristic'>[]>(
          'characteristics',
          { list: is('characteristic') },
          'characteristic discovery',
          t,
        )
      : [];
    const included = hasIncludes(attributes)
      ? await this.run<Ev<'included'>[]>(
          'included',
          // Asked only when char-desc listed an Include declaration: an empty answer is plain
          // text ('No included services found'), which would leave the list open.
          { list: is('included') },
          'included service discovery',
          t,
        )
      : [];
    this.cache = assembleServices(primaries, characteristics, attributes, secondaries, included);
    return this.cache;
  }

  private readHandle(handle: number, what: string): Promise<Buffer> {
    const h = formatHandle(handle);
    return this.run(
      `char-read-hnd ${h}`,
      { result: pick('value', (e) => e.value) },
      `${what} ${h}`,
    );
  }

  private async writeHandle(handle: number, value: Buffer, withResponse: boolean): Promise<void> {
    const h = formatHandle(handle);
    if (value.length === 0) {
      throw new NotSupportedError('gatttool cannot write an empty value (it rejects "")');
    }
    if (withResponse) {
      await this.run(
        `char-write-req ${h} ${toHex(value)}`,
        { result: pick('written', () => true) },
        `write ${h}`,
      );
    } else {
      // A Write Command has no answer: gatttool has sent it once it printed nothing in reply.
      await this.run(`char-write-cmd ${h} ${toHex(value)}`, {}, `write without response ${h}`);
    }
  }

  read(c: CharacteristicInfo): Promise<Buffer> {
    return this.readHandle(validateHandle(c.valueHandle), 'read');
  }

  /**
   * pygatt's char_read(uuid): gatttool's char-read-uuid (ATT Read By Type) over the whole
   * database; resolves with the value of every matching attribute by handle. One response
   * PDU only, as gatttool does: values longer than MTU-4 come back cut.
   */
  async readByUuid(uuid: string | number): Promise<Map<number, Buffer>> {
    const u = normalizeUuid(uuid);
    const items = await this.run<Ev<'uuidValue'>[]>(
      `char-read-uuid ${u}`,
      { list: is('uuidValue') },
      `read by UUID ${u}`,
    );
    return new Map(items.map((i) => [i.handle, i.value]));
  }

  write(c: CharacteristicInfo, value: Buffer, withResponse: boolean): Promise<void> {
    return this.writeHandle(validateHandle(c.valueHandle), value, withResponse);
  }

  readDescriptor(handle: number): Promise<Buffer> {
    return this.readHandle(validateHandle(handle), 'read descriptor');
  }

  writeDescriptor(handle: number, value: Buffer): Promise<void> {
    return this.writeHandle(validateHandle(handle), value, true);
  }

  private cccdOf(c: CharacteristicInfo): number {
    const d = c.descriptors.find((x) => x.uuid === CCCD);
    if (!d) {
      throw new NotSupportedError(
        `Characteristic ${c.uuid} has no CCCD (0x2902) to subscribe with`,
      );
    }
    return d.handle;
  }

  async subscribe(
    c: CharacteristicInfo,
    options: BackendSubscribeOptions,
    onValue: (value: Buffer) => void,
  ): Promise<void> {
    const cccd = this.cccdOf(c);
    const indicate = options.indicate || !c.properties.notify;
    if (indicate && !c.properties.indicate) {
      throw new InvalidArgumentError(`Characteristic ${c.uuid} does not indicate`);
    }
    const value = Buffer.alloc(2);
    value.writeUInt16LE(indicate ? CccdValue.Indicate : CccdValue.Notify);
    // Listen before enabling: a peer may notify before it answers the CCCD write.
    this.handlers.set(c.valueHandle, onValue);
    try {
      await this.writeHandle(cccd, value, true);
    } catch (e) {
      this.handlers.delete(c.valueHandle);
      throw e;
    }
  }

  async unsubscribe(c: CharacteristicInfo): Promise<void> {
    const cccd = this.cccdOf(c);
    this.handlers.delete(c.valueHandle);
    await this.writeHandle(cccd, Buffer.from([0, 0]), true);
  }

  mtu(): number {
    return this.negotiatedMtu;
  }

  /**
   * The exchange bluetoothd makes on every link and gatttool never makes by itself. Best
   * effort: a peer may refuse a second exchange on the link (bluetoothd on our side may have
   * made one already); the link then stays at 23 for gatttool.
   */
  async exchangeMtuOnConnect(mtu: number): Promise<void> {
    await this.exchangeMtu(mtu).catch(() => {
      this.mtuExchanged = true;
    });
  }

  /** gatttool's `mtu N`: ATT allows one exchange per connection, later calls return its result. */
  async exchangeMtu(mtu: number): Promise<number> {
    if (!Number.isInteger(mtu) || mtu < ATT_DEFAULT_MTU || mtu > ATT_MAX_MTU) {
      throw new InvalidArgumentError(
        `MTU must be ${ATT_DEFAULT_MTU}..${ATT_MAX_MTU}: ${describeValue(mtu)}`,
      );
    }
    if (this.mtuExchanged) return this.negotiatedMtu;
    const got = await this.run(`mtu ${mtu}`, { result: pick('mtu', (e) => e.mtu) }, 'MTU exchange');
    this.mtuExchanged = true;
    this.negotiatedMtu = got;
    return got;
  }

  rssi(): Promise<number> {
    return Promise.reject(
      new NotSupportedError('gatttool cannot read the RSSI of a connection (no such command)'),
    );
  }

  /**
   * gatttool's `sec-level`: raises the link's security level (the kernel runs SMP, pairing
   * if needed). gatttool prints nothing when security is reached, so this resolves once the
   * request is accepted; a failed pairing shows as errors on the next operations.
   */
  async pair(level: SecurityLevel): Promise<void> {
    await this.run(`sec-level ${level}`, {}, `sec-level ${level}`);
  }
}
