import { DecodeError } from '../../../core/index.js';
import {
  HEADER_SIZE,
  TECH_BLE,
  decodeFrame,
  decodeHeader,
  knownPayloadBounds,
  type Decoded,
  type Direction,
  type FrameHeader,
} from './packet.js';

/** Highest class ID a BLE dongle uses (system 0 .. test 8, dfu 9 on later firmware). */
const MAX_CLASS = 9;

/**
 * Splits a byte stream (serial port, pty) into BGAPI frames and decodes them. BGAPI has no
 * start marker or checksum, so after line noise or a partial frame the parser resynchronises
 * by dropping one byte at a time until a plausible header is in front: BLE technology, a known
 * class, a length that fits the message, and a payload that decodes. A header claiming more
 * bytes than ever arrive waits: the transport calls flush() after a quiet gap.
 */
export class BgapiStreamParser {
  private buf = Buffer.alloc(0);
  /** Bytes thrown away while resynchronising (for logs and tests). */
  discarded = 0;

  constructor(private readonly direction: Direction) {}

  /** Bytes held while waiting for the rest of a frame. */
  get pending(): number {
    return this.buf.length;
  }

  /** Feeds bytes; returns every frame they complete, in order. Never throws. */
  push(chunk: Uint8Array): Decoded[] {
    this.buf = this.buf.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buf, chunk]);
    return this.parse();
  }

  /**
   * The line went quiet with bytes still held: whatever waits at the head can never complete,
   * so it was noise. Skips it a byte at a time and returns the frames found behind it.
   */
  flush(): Decoded[] {
    const out: Decoded[] = [];
    while (this.buf.length > 0) {
      this.buf = Buffer.from(this.buf.subarray(1));
      this.discarded += 1;
      out.push(...this.parse());
    }
    return out;
  }

  private parse(): Decoded[] {
    const out: Decoded[] = [];
    let off = 0;
    while (this.buf.length - off >= HEADER_SIZE) {
      const h = decodeHeader(this.buf, off);
      if (!this.plausible(h)) {
        off += 1;
        this.discarded += 1;
        continue;
      }
      const end = off + HEADER_SIZE + h.length;
      if (end > this.buf.length) break;
      try {
        out.push(decodeFrame(this.buf.subarray(off, end), this.direction));
        off = end;
      } catch (err) {
        if (!(err instanceof DecodeError)) throw err;
        off += 1;
        this.discarded += 1;
      }
    }
    if (off > 0) this.buf = Buffer.from(this.buf.subarray(off));
    return out;
  }

  private plausible(h: FrameHeader): boolean {
    if (h.technology !== TECH_BLE || h.cls > MAX_CLASS) return false;
    if (!h.event && this.direction === 'fromDevice' && h.cls === 0 && h.id === 0) {
      // system_reset has no response: such a header from the dongle is noise, not a frame.
      return false;
    }
    const bounds = knownPayloadBounds(h, this.direction);
    return bounds === undefined || (h.length >= bounds.min && h.length <= bounds.max);
  }
}
