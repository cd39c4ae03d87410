/**
 * The client side of D-Bus's SASL handshake, as a pure state machine: EXTERNAL with our uid,
 * then asking for unix fd passing (carrying on without it if the server declines).
 */
import { BackendError } from '../../core/errors.js';

/** Longest line a server may send during the handshake (the reference server's limit is 16 KiB). */
export const MAX_AUTH_LINE = 16384;

export interface AuthResult {
  guid: string;
  unixFds: boolean;
}

/** What the client does after a server line: send `send`, and when `done` is set, it is over. */
export interface AuthStep {
  send?: string;
  done?: AuthResult;
}

/** A server line split into its command and the rest. */
export function parseServerLine(line: string): { command: string; args: string } {
  const sp = line.indexOf(' ');
  return sp < 0
    ? { command: line, args: '' }
    : { command: line.slice(0, sp), args: line.slice(sp + 1).trim() };
}

/** The first bytes a client sends: a NUL, then AUTH EXTERNAL with the uid in hex of its digits. */
export function authStart(uid: number): Buffer {
  if (!Number.isInteger(uid) || uid < 0)
    throw new BackendError(`bad uid ${uid}`, { backend: 'dbus' });
  const hex = Buffer.from(String(uid), 'ascii').toString('hex');
  return Buffer.from(`\0AUTH EXTERNAL ${hex}\r\n`, 'ascii');
}

function refused(why: string): BackendError {
  return new BackendError(`D-Bus authentication failed: ${why}`, { backend: 'dbus' });
}

export class SaslClient {
  private state: 'auth' | 'fd' | 'done' = 'auth';
  private guid = '';

  constructor(private readonly negotiateUnixFd = true) {}

  /** Takes one server line (without its CRLF); throws a BackendError on a reply out of place. */
  step(line: string): AuthStep {
    const { command, args } = parseServerLine(line);
    if (this.state === 'auth') {
      if (command === 'OK') {
        if (!/^[0-9a-fA-F]{32}$/.test(args)) throw refused(`bad server guid "${args}"`);
        this.guid = args.toLowerCase();
        if (this.negotiateUnixFd) {
          this.state = 'fd';
          return { send: 'NEGOTIATE_UNIX_FD\r\n' };
        }
        return this.finish(false);
      }
      if (command === 'REJECTED')
        throw refused(`EXTERNAL rejected (server offers: ${args || 'nothing'})`);
      if (command === 'ERROR') throw refused(`server error ${args}`);
      throw refused(`unexpected "${line.slice(0, 80)}"`);
    }
    if (this.state === 'fd') {
      if (command === 'AGREE_UNIX_FD') return this.finish(true);
      if (command === 'ERROR') return this.finish(false);
      throw refused(`unexpected "${line.slice(0, 80)}" after NEGOTIATE_UNIX_FD`);
    }
    throw refused(`line "${line.slice(0, 80)}" after the handshake`);
  }

  private finish(unixFds: boolean): AuthStep {
    this.state = 'done';
    return { send: 'BEGIN\r\n', done: { guid: this.guid, unixFds } };
  }
}

/**
 * Splits handshake bytes into CRLF lines. Returns the lines and the bytes after the last one;
 * a line over MAX_AUTH_LINE or with non-ASCII bytes is a BackendError.
 */
export function takeLines(buf: Buffer): { lines: string[]; rest: Buffer } {
  const lines: string[] = [];
  let start = 0;
  for (;;) {
    const end = buf.indexOf('\r\n', start, 'ascii');
    if (end < 0) break;
    lines.push(asciiLine(buf.subarray(start, end)));
    start = end + 2;
  }
  const rest = buf.subarray(start);
  if (rest.length > MAX_AUTH_LINE) throw refused('handshake line too long');
  return { lines, rest };
}

function asciiLine(b: Buffer): string {
  if (b.length > MAX_AUTH_LINE) throw refused('handshake line too long');
  for (const c of b) if (c < 0x20 || c > 0x7e) throw refused('non-ASCII byte in a handshake line');
  return b.toString('ascii');
}
