/**
 * Splits a D-Bus byte stream into messages. Chunks may end anywhere; fds received with the
 * bytes are queued and each message takes as many as its UNIX_FDS header field says, in order
 * (the kernel delivers a message's fds no later than its first byte).
 */
import { DecodeError } from '../../core/errors.js';
import { decodeMessage, restLength, type WireMessage } from '../message-codec.js';
import { singleType } from '../signature.js';
import { Reader, readValue } from '../unmarshal.js';

const HEADER = 16;
const UNIX_FDS_FIELD = 9;

/** A message and the fds that came with it (its 'h' values index into these). */
export interface FramedMessage {
  message: WireMessage;
  fds: number[];
}

export class MessageFramer {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private readonly fdQueue: number[] = [];
  /** Length of the message at the head of the buffer, once its fixed header is in. */
  private need = 0;
  private broken = false;

  /** Fds received but not yet handed to a message (the owner closes them on shutdown). */
  get pendingFds(): readonly number[] {
    return this.fdQueue;
  }

  get bufferedBytes(): number {
    return this.buffered;
  }

  /**
   * Adds bytes (and fds) and returns every message now complete. A malformed message throws a
   * DecodeError, after which the framer refuses more input: the stream has lost its framing.
   */
  push(chunk: Buffer, fds: readonly number[] = []): FramedMessage[] {
    if (this.broken) throw new DecodeError('D-Bus stream framing was lost earlier');
    for (const fd of fds) this.fdQueue.push(fd);
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    const out: FramedMessage[] = [];
    try {
      for (;;) {
        if (this.need === 0) {
          if (this.buffered < HEADER) break;
          this.need = HEADER + restLength(this.peek(HEADER));
        }
        if (this.buffered < this.need) break;
        const whole = this.take(this.need);
        this.need = 0;
        out.push(this.decode(whole));
      }
    } catch (e) {
      this.broken = true;
      throw e;
    }
    return out;
  }

  private decode(whole: Buffer): FramedMessage {
    const header = whole.subarray(0, HEADER);
    const rest = whole.subarray(HEADER);
    const count = unixFdCount(header, rest);
    if (count > this.fdQueue.length) {
      throw new DecodeError(
        `D-Bus message says it carries ${count} fds, ${this.fdQueue.length} arrived`,
      );
    }
    const fds = this.fdQueue.slice(0, count);
    const message = decodeMessage(header, rest, fds);
    // Taken only once decoded: a message that fails leaves its fds for the owner to close.
    this.fdQueue.splice(0, count);
    return { message, fds };
  }

  /** The first n buffered bytes, without consuming them. */
  private peek(n: number): Buffer {
    const first = this.chunks[0]!;
    if (first.length >= n) return first.subarray(0, n);
    return Buffer.concat(this.chunks, this.buffered).subarray(0, n);
  }

  private take(n: number): Buffer {
    const first = this.chunks[0]!;
    if (first.length === n) {
      this.chunks.shift();
    } else if (first.length > n) {
      this.chunks[0] = first.subarray(n);
      this.buffered -= n;
      return first.subarray(0, n);
    } else {
      const all = Buffer.concat(this.chunks, this.buffered);
      this.chunks = all.length > n ? [all.subarray(n)] : [];
      this.buffered -= n;
      return all.subarray(0, n);
    }
    this.buffered -= n;
    return first;
  }
}

/** The UNIX_FDS header field (0 when absent), read before the body so fds can be handed out. */
export function unixFdCount(header: Buffer, rest: Buffer): number {
  const le = header[0] === 0x6c;
  const fieldsLength = le ? header.readUInt32LE(12) : header.readUInt32BE(12);
  const r = new Reader(rest, le, [], 0, Math.min(fieldsLength, rest.length));
  let count = 0;
  while (r.pos < r.end) {
    r.align(8);
    const code = r.u8();
    const sig = r.text(r.u8());
    const value = readValue(r, singleType(sig));
    if (code === UNIX_FDS_FIELD) {
      if (sig !== 'u') r.fail(`header field ${code} has type "${sig}"`);
      count = value as number;
    }
  }
  return count;
}
