import { InvalidArgumentError, withTimeout } from '../core/index.js';
import { DbusError, type ObjectSpec } from '../dbus/client/index.js';
import { deviceFromPath } from './gatt-requests.js';
import type { RemoteDevice } from '../peripheral/gatt/types.js';
import { IFACE } from './names.js';

/** The IO capabilities an agent can declare to BlueZ (they decide the pairing method). */
export const AGENT_CAPABILITIES = [
  'DisplayOnly',
  'DisplayYesNo',
  'KeyboardOnly',
  'NoInputNoOutput',
  'KeyboardDisplay',
] as const;

/** One of AGENT_CAPABILITIES. */
export type AgentCapability = (typeof AGENT_CAPABILITIES)[number];

type Answer<T> = T | Promise<T>;

/**
 * Pairing callbacks. Anything without a callback is rejected: pairing only succeeds for the
 * steps you opt into.
 */
export interface AgentOptions {
  /** What the device can show and enter; default 'NoInputNoOutput' (Just Works). */
  capability?: AgentCapability;
  /** Enter the passkey the central displays (0..999999). */
  onPasskey?: (device: RemoteDevice) => Answer<number>;
  /** Legacy PIN code (1..16 characters). */
  onPinCode?: (device: RemoteDevice) => Answer<string>;
  /** Show this passkey to the user; `entered` counts keys typed on the other side. */
  onDisplayPasskey?: (device: RemoteDevice, passkey: string, entered: number) => void;
  /** Show this legacy PIN code to the user (BR/EDR pairing; LE uses passkeys). */
  onDisplayPinCode?: (device: RemoteDevice, pinCode: string) => void;
  /** Numeric comparison (and Just Works confirmation): true accepts. */
  onConfirm?: (device: RemoteDevice, passkey: string) => Answer<boolean>;
  /** Just Works pairing request that needs authorization: true accepts. */
  onAuthorize?: (device: RemoteDevice) => Answer<boolean>;
  /** A connection wants a service (profile); true accepts. */
  onAuthorizeService?: (device: RemoteDevice, uuid: string) => Answer<boolean>;
  /** BlueZ gave up on the current request. */
  onCancel?: () => void;
  /** How long a callback may take before the request is rejected (ms, default 30000). */
  timeoutMs?: number;
}

const REJECTED = 'org.bluez.Error.Rejected';

function reject(why: string): never {
  throw new DbusError(REJECTED, why);
}

function dev(path: unknown): RemoteDevice {
  return deviceFromPath(path) ?? { path: String(path), address: '' };
}

const six = (n: unknown): string => String(n).padStart(6, '0');

/** A pairing agent; register it with `central.registerAgent()` or `peripheral.registerAgent()`. */
export class Agent {
  /** The IO capability declared to BlueZ. */
  readonly capability: AgentCapability;
  private readonly opts: AgentOptions;
  /** Set while registered: the object path BlueZ calls. */
  path: string | undefined;
  /** True once BlueZ has released the agent (it is no longer asked). */
  released = false;

  constructor(opts: AgentOptions = {}) {
    const cap = opts.capability ?? 'NoInputNoOutput';
    if (!AGENT_CAPABILITIES.includes(cap)) {
      throw new InvalidArgumentError(`capability must be one of ${AGENT_CAPABILITIES.join(', ')}`);
    }
    const t = opts.timeoutMs ?? 30_000;
    if (!Number.isInteger(t) || t <= 0) throw new InvalidArgumentError('timeoutMs must be > 0');
    this.capability = cap;
    this.opts = opts;
  }

  private async ask<T>(what: string, fn: (() => Answer<T>) | undefined): Promise<T> {
    if (!fn) reject(`${what}: no handler (agents reject unless you opt in)`);
    try {
      return await withTimeout(Promise.resolve().then(fn), this.opts.timeoutMs ?? 30_000, what);
    } catch (err) {
      reject(`${what}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private async yes(what: string, fn: (() => Answer<boolean>) | undefined): Promise<void> {
    if ((await this.ask(what, fn)) !== true) reject(`${what}: refused`);
  }

  /** @internal */
  objectSpec(): ObjectSpec {
    const o = this.opts;
    const m = (
      inSignature: string,
      outSignature: string,
      handler: (args: unknown[]) => Promise<unknown[] | void> | void,
    ) => ({ inSignature, outSignature, handler });
    return {
      [IFACE.agent]: {
        methods: {
          Release: m('', '', () => {
            this.released = true;
          }),
          RequestPinCode: m('o', 's', async ([d]) => {
            const pin = await this.ask('pin code', o.onPinCode && (() => o.onPinCode!(dev(d))));
            if (typeof pin !== 'string' || pin.length < 1 || pin.length > 16)
              reject('bad pin code');
            return [pin];
          }),
          DisplayPinCode: m('os', '', ([d, pin]) => {
            o.onDisplayPinCode?.(dev(d), String(pin));
          }),
          RequestPasskey: m('o', 'u', async ([d]) => {
            const pk = await this.ask('passkey', o.onPasskey && (() => o.onPasskey!(dev(d))));
            if (!Number.isInteger(pk) || pk < 0 || pk > 999_999)
              reject('passkey must be 0..999999');
            return [pk];
          }),
          DisplayPasskey: m('ouq', '', ([d, pk, entered]) => {
            o.onDisplayPasskey?.(dev(d), six(pk), Number(entered));
          }),
          RequestConfirmation: m('ou', '', async ([d, pk]) => {
            await this.yes('confirmation', o.onConfirm && (() => o.onConfirm!(dev(d), six(pk))));
          }),
          RequestAuthorization: m('o', '', async ([d]) => {
            await this.yes('authorization', o.onAuthorize && (() => o.onAuthorize!(dev(d))));
          }),
          AuthorizeService: m('os', '', async ([d, uuid]) => {
            await this.yes(
              'service authorization',
              o.onAuthorizeService && (() => o.onAuthorizeService!(dev(d), String(uuid))),
            );
          }),
          Cancel: m('', '', () => {
            o.onCancel?.();
          }),
        },
      },
    };
  }
}
