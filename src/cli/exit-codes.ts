import { BleError } from '../core/errors.js';

/**
 * Exit codes of every blekit command. Scripts switch on these, so they never change meaning;
 * new ones are only ever added.
 */
export const ExitCode = {
  Ok: 0,
  /** A bug or an error blekit did not expect (the message says what). */
  Internal: 1,
  BadInput: 2,
  NotFound: 3,
  Timeout: 4,
  PermissionDenied: 5,
  /** The stack or backend failed: bluetoothd, the adapter, the link, an unusable backend. */
  BackendFailure: 6,
  /** The peer answered with an ATT error (read not permitted, invalid handle ...). */
  AttError: 7,
  /** The chosen backend or adapter cannot do what was asked. */
  NotSupported: 8,
  /** Interrupted (Ctrl-C) before a one-shot command finished; streams end with 0 instead. */
  Interrupted: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

const BY_CODE: Record<string, ExitCodeValue> = {
  ERR_BLE_INVALID_ARGUMENT: ExitCode.BadInput,
  ERR_BLE_NOT_FOUND: ExitCode.NotFound,
  ERR_BLE_TIMEOUT: ExitCode.Timeout,
  ERR_BLE_PERMISSION: ExitCode.PermissionDenied,
  ERR_BLE_BACKEND: ExitCode.BackendFailure,
  ERR_BLE_NOT_CONNECTED: ExitCode.BackendFailure,
  ERR_BLE_BUSY: ExitCode.BackendFailure,
  ERR_BLE_DECODE: ExitCode.BackendFailure,
  ERR_BLE_SUBSCRIPTION_LOST: ExitCode.BackendFailure,
  ERR_BLE_ATT: ExitCode.AttError,
  ERR_BLE_NOT_SUPPORTED: ExitCode.NotSupported,
  ABORT_ERR: ExitCode.Interrupted,
};

/** Node system errors that mean "not allowed" rather than "broken". */
const PERMISSION_ERRNOS = new Set(['EACCES', 'EPERM']);

/** The exit code for an error: blekit's typed errors by their stable `code`, then errno. */
export function exitCodeFor(err: unknown): ExitCodeValue {
  if (err instanceof BleError) return BY_CODE[err.code] ?? ExitCode.Internal;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string') {
    if (PERMISSION_ERRNOS.has(code)) return ExitCode.PermissionDenied;
    if (code === 'ENOENT') return ExitCode.NotFound;
    if (code.startsWith('commander.')) return ExitCode.BadInput;
  }
  return ExitCode.Internal;
}

/** The table printed by `blekit --help` (and the README). */
export const EXIT_CODE_HELP = `Exit codes:
    0   ok
    1   unexpected error (a bug: please report it with --debug output)
    2   bad input: malformed address, UUID, handle or value; bad option; invalid serve spec
    3   not found: adapter, device, service, characteristic or file
    4   timeout
    5   permission denied (D-Bus policy, capabilities, device file access)
    6   backend failure: bluetoothd, adapter or link failed; doctor found a problem
    7   the peer answered with an ATT error (e.g. read not permitted)
    8   not supported by this backend (or the backend is not available yet)
  130  interrupted (Ctrl-C) before a one-shot command finished`;
