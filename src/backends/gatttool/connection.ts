import {
  AttError,
  BleError,
  CccdValue,
  delay,
  InvalidArgumentError,
  TimeoutError,
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
  BackendCallOptions,
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
import { alreadySecure, levelFor, maxLevel } from './link-security.js';

const CCCD = normalizeUuid(GattUuid16.Cccd);

export interface GatttoolConnectionOptions {
  /** Time limit of each ATT operation; default 30 000 ms. */
  operationTimeoutMs: number;
  /** Time limit of a whole discovery; default 60 000 ms. */
  discoveryTimeoutMs: number;
}

/** How a connection changes its security: the backend knows the adapter and the tools. */
export interface GatttoolSecurity {
  /** The level the first session was started with (its --sec-level). */
  level: SecurityLevel;
  /**
   * A new gatttool started at `level` and connected to the same peer (the link itself stays
   * up, held by the old session until it is closed). Throws the connect's typed errors.
   */
  reopen(level: SecurityLevel, timeoutMs: number, signal?: AbortSignal): Promise<GatttoolSession>;
  /** Whether the kernel has the link encrypted; undefined when that cannot be told. */
  encrypted(): Promise<boolean | undefined>;
}

/**
 * How long a request may go unanswered before the link's encryption is looked at, and how long
 * an answer may still come once the link turned out encrypted. BlueZ 5.66's gatttool raises
 * security by itself on an Insufficient Encryption answer and re-sends the request, but that
 * re-send is lost when it is written while the socket still waits for SMP: then no answer ever
 * comes, and the session cannot be asked to raise security again (the kernel says EINVAL).
 */
const STALL_MS = 2000;
const GRACE_MS = 2000;
const POLL_MS = 1000;

/** The request above was lost to gatttool's own security escalation. */
class SecurityStall extends Error {}

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
  private cleanups: (() => void)[] = [];
  private current!: GatttoolSession;
  /** The level this link was asked for (or found at); gatttool may have raised it unasked. */
  private level: SecurityLevel;

  /** @internal The backend makes connections. */
  constructor(
    session: GatttoolSession,
    readonly address: string,
    readonly addressType: AddressType,
    private readonly events: ConnectionEvents,
    private readonly options: GatttoolConnectionOptions,
    private readonly onClosed: (c: GatttoolConnection) => void,
    private readonly security?: GatttoolSecurity,
  ) {
    this.level = security?.level ?? 'low';
    this.attach(session);
  }

  /** The gatttool process this link lives in now; it ends with the link. */
  get session(): GatttoolSession {
    return this.current;
  }

  private attach(session: GatttoolSession): void {
    for (const c of this.cleanups.splice(0)) c();
    this.current = session;
    this.cleanups = [
      session.onEvent((ev) => {
        if (ev.kind === 'notification') this.handlers.get(ev.handle)?.(ev.value);
        else if (ev.kind === 'prompt' && !ev.connected)
          this.gone(this.localClose ? 'local' : 'remote');
      }),
      session.onExit(() => this.gone(this.localClose ? 'local' : 'unknown')),
    ];
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

  private run<T>(
    line: string,
    spec: CommandSpec<T>,
    what: string,
    timeoutMs?: number,
    signal?: AbortSignal,
  ): Promise<T> {
    if (!this.live)
      return Promise.reject(new NotConnectedError(`${this.address} is not connected`));
    return this.current.command(line, spec, {
      what: `${what} (${this.address})`,
      timeoutMs: Math.max(1, timeoutMs ?? this.options.operationTimeoutMs),
      signal,
    });
  }

  /**
   * A request that the peer may refuse for want of security: when it answers with an ATT
   * security error, or goes unanswered after gatttool raised security by itself, a fresh gatttool
   * at the needed level takes over the link and the request is sent once more. All of it stays
   * within one operation timeout; what still fails is thrown as the typed error of that try.
   */
  private async secured<T>(
    line: string,
    spec: CommandSpec<T>,
    what: string,
    call?: BackendCallOptions,
  ): Promise<T> {
    const deadline = Date.now() + this.options.operationTimeoutMs;
    const left = (): number => deadline - Date.now();
    let needed: SecurityLevel | undefined;
    try {
      return await this.watched(line, spec, what, deadline, call?.signal);
    } catch (e) {
      if (e instanceof SecurityStall) needed = maxLevel(this.level, 'medium');
      else if (e instanceof AttError) needed = levelFor(e.attCode, this.level);
      if (needed === undefined || !this.security || !this.live || call?.signal?.aborted) {
        throw e instanceof SecurityStall
          ? new TimeoutError(`${what} (${this.address}): no answer after gatttool raised security`)
          : e;
      }
    }
    await this.raise(needed, left(), call?.signal);
    return this.run(line, spec, what, left(), call?.signal);
  }

  /**
   * Runs the request while watching for gatttool's own escalation: only at level 'low' (above
   * it gatttool does not escalate), and only once the request has waited STALL_MS.
   */
  private async watched<T>(
    line: string,
    spec: CommandSpec<T>,
    what: string,
    deadline: number,
    signal?: AbortSignal,
  ): Promise<T> {
    if (this.level !== 'low' || !this.security) {
      return this.run(line, spec, what, deadline - Date.now(), signal);
    }
    const security = this.security;
    const stop = new AbortController();
    const onAbort = (): void => stop.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    // Aborted once the request settles: the watcher's timers end with it instead of running on.
    const settled = new AbortController();
    let stalled = false;
    const watch = async (): Promise<void> => {
      await delay(STALL_MS, settled.signal);
      while (Date.now() < deadline) {
        if ((await security.encrypted()) === true) {
          await delay(GRACE_MS, settled.signal);
          stalled = true;
          stop.abort();
          return;
        }
        await delay(POLL_MS, settled.signal);
      }
    };
    const watcher = watch().catch(() => undefined);
    try {
      return await this.run(line, spec, what, deadline - Date.now(), stop.signal);
    } catch (e) {
      if (stalled) throw new SecurityStall(`${what}: lost to gatttool's security escalation`);
      throw e;
    } finally {
      settled.abort();
      signal?.removeEventListener('abort', onAbort);
      void watcher;
    }
  }

  /**
   * Moves the link to a fresh gatttool at `level`. The old one ends first: the kernel refuses a
   * second ATT socket to the same peer with EBUSY while the first is connected (seen in the lab).
   */
  private async raise(
    level: SecurityLevel,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<void> {
    const security = this.security as GatttoolSecurity;
    const deadline = Date.now() + timeoutMs;
    const old = this.current;
    // Its disconnect must not end this connection: the link is being handed over.
    for (const c of this.cleanups.splice(0)) c();
    await old.close(Math.min(3000, timeoutMs / 3));
    let fresh: GatttoolSession;
    try {
      fresh = await security.reopen(level, Math.max(1, deadline - Date.now()), signal);
    } catch (e) {
      this.gone('unknown');
      throw e;
    }
    if (!this.live) {
      await fresh.close();
      throw new NotConnectedError(`${this.address} is not connected`);
    }
    this.attach(fresh);
    this.level = level;
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

  private readHandle(handle: number, what: string, call?: BackendCallOptions): Promise<Buffer> {
    const h = formatHandle(handle);
    return this.secured(
      `char-read-hnd ${h}`,
      { result: pick('value', (e) => e.value) },
      `${what} ${h}`,
      call,
    );
  }

  private async writeHandle(
    handle: number,
    value: Buffer,
    withResponse: boolean,
    call?: BackendCallOptions,
  ): Promise<void> {
    const h = formatHandle(handle);
    if (value.length === 0) {
      throw new NotSupportedError('gatttool cannot write an empty value (it rejects "")');
    }
    if (withResponse) {
      await this.secured(
        `char-write-req ${h} ${toHex(value)}`,
        { result: pick('written', () => true) },
        `write ${h}`,
        call,
      );
    } else {
      // A Write Command has no answer: gatttool has sent it once it printed nothing in reply.
      await this.run(`char-write-cmd ${h} ${toHex(value)}`, {}, `write without response ${h}`);
    }
  }

  read(c: CharacteristicInfo, call?: BackendCallOptions): Promise<Buffer> {
    return this.readHandle(validateHandle(c.valueHandle), 'read', call);
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

  write(
    c: CharacteristicInfo,
    value: Buffer,
    withResponse: boolean,
    call?: BackendCallOptions,
  ): Promise<void> {
    return this.writeHandle(validateHandle(c.valueHandle), value, withResponse, call);
  }

  readDescriptor(handle: number, call?: BackendCallOptions): Promise<Buffer> {
    return this.readHandle(validateHandle(handle), 'read descriptor', call);
  }

  writeDescriptor(handle: number, value: Buffer, call?: BackendCallOptions): Promise<void> {
    return this.writeHandle(validateHandle(handle), value, true, call);
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
   * if needed). gatttool prints nothing when security is reached, so this waits until the kernel
   * shows the link encrypted (where hcitool can tell): a request written while SMP runs can be
   * lost. A link already at the level (bluetoothd encrypts a bonded peer's link by itself, or
   * gatttool raised it after an Insufficient Encryption answer) resolves at once.
   */
  async pair(level: SecurityLevel, call?: BackendCallOptions): Promise<void> {
    const deadline = Date.now() + this.options.operationTimeoutMs;
    try {
      await this.run(`sec-level ${level}`, {}, `sec-level ${level}`, undefined, call?.signal);
    } catch (e) {
      if (!(e instanceof BleError && alreadySecure(e.message))) throw e;
      this.level = maxLevel(this.level, level);
      return;
    }
    if (level !== 'low' && this.security) {
      while ((await this.security.encrypted()) === false) {
        if (!this.live) throw new NotConnectedError(`${this.address}: the link dropped pairing`);
        if (Date.now() >= deadline) {
          throw new TimeoutError(`sec-level ${level} (${this.address}): the link is not encrypted`);
        }
        await delay(250);
      }
    }
    this.level = maxLevel(this.level, level);
  }
}
