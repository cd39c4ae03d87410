import { BleError } from '../core/errors.js';
import { STATUS_NAMES } from './generated/protocol.js';

/** Name of a mgmt status code as the doc spells it ('Invalid Parameters'), or 'Unknown (0xNN)'. */
export function statusName(status: number): string {
  return (
    (STATUS_NAMES as Record<number, string>)[status] ??
    `Unknown (0x${status.toString(16).padStart(2, '0')})`
  );
}

/** The kernel answered a command with a failure status (Command Status or Command Complete). */
export class MgmtError extends BleError {
  /** The mgmt status code (0x01..). */
  readonly status: number;
  /** The status code's name, e.g. 'Invalid Parameters'. */
  readonly statusName: string;
  /** The command that failed, e.g. 'SetPowered'. */
  readonly command: string;
  /** The controller index it was sent to (0xFFFF: none). */
  readonly index: number;
  /** Return parameters that came with a failed Command Complete (some commands send them). */
  readonly data: Buffer;

  constructor(command: string, index: number, status: number, data: Buffer = Buffer.alloc(0)) {
    const name = statusName(status);
    super(
      `${command} on index ${index === 0xffff ? 'none' : index} failed: ${name} (0x${status
        .toString(16)
        .padStart(2, '0')})`,
      'ERR_MGMT_STATUS',
    );
    this.name = 'MgmtError';
    this.status = status;
    this.statusName = name;
    this.command = command;
    this.index = index;
    this.data = data;
  }
}
