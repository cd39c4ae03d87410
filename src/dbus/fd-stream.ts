/**
 * dbus-next 0.10 reads each message body with `stream.read(length, null)`, which takes every
 * fd the socket has queued, not the ones the message carries. When BlueZ's reply to
 * AcquireNotify/AcquireWrite arrives in the same socket read as a signal before it (it emits
 * PropertiesChanged NotifyAcquired/WriteAcquired around the reply), the signal swallows the
 * fd and the reply fails with "No FDs available". This wraps the usocket stream so that each
 * message takes exactly the number of fds its UNIX_FDS header field declares.
 */

const FIELD_UNIX_FDS = 9;

/** The usocket surface dbus-next uses: read(size, fdSize) returning { data, fds }. */
export interface FdStream {
  read(size?: number, fdSize?: number | null): unknown;
  _wrap?: { fds: number[] } | null;
}

function align(pos: number, to: number): number {
  return (pos + to - 1) & ~(to - 1);
}

/**
 * Returns the UNIX_FDS header field of a message whose header-field array starts at offset 0
 * of `buf` (offset 16 of the message, so alignments are the same), or undefined when the
 * fields cannot be walked.
 */
export function unixFdCount(
  buf: Buffer,
  fieldsLength: number,
  littleEndian: boolean,
): number | undefined {
  const u32 = (at: number) => (littleEndian ? buf.readUInt32LE(at) : buf.readUInt32BE(at));
  let pos = 0;
  try {
    while (pos < fieldsLength) {
      pos = align(pos, 8);
      const code = buf[pos]!;
      const sigLen = buf[pos + 1]!;
      const sig = buf.toString('latin1', pos + 2, pos + 2 + sigLen);
      pos += 2 + sigLen + 1;
      switch (sig) {
        case 'o':
        case 's': {
          pos = align(pos, 4);
          pos += 4 + u32(pos) + 1;
          break;
        }
        case 'g':
          pos += 1 + buf[pos]! + 1;
          break;
        case 'u': {
          pos = align(pos, 4);
          const v = u32(pos);
          if (code === FIELD_UNIX_FDS) return v;
          pos += 4;
          break;
        }
        default:
          return undefined;
      }
      if (pos > buf.length) return undefined;
    }
  } catch {
    return undefined;
  }
  return 0;
}

/** Patches a usocket stream in place (before dbus-next's parser reads from it). */
export function fixFdDistribution(stream: FdStream): void {
  const read = stream.read.bind(stream);
  let header: Buffer | null = null;
  stream.read = (size?: number, fdSize?: number | null): unknown => {
    if (fdSize === undefined) {
      const r = read(size);
      // dbus-next reads the 16-byte fixed header first: keep it for the endianness and length.
      if (size === 16 && Buffer.isBuffer(r)) header = r;
      return r;
    }
    if (fdSize !== null || !header || !stream._wrap) return read(size, fdSize);
    const r = read(size, 0) as { data: Buffer | null; fds: number[] } | null;
    if (!r || !r.data) return r;
    const littleEndian = header[0] === 0x6c;
    const fieldsLength = littleEndian ? header.readUInt32LE(12) : header.readUInt32BE(12);
    const want = unixFdCount(r.data, fieldsLength, littleEndian);
    const queued = stream._wrap.fds;
    r.fds = queued.splice(0, want === undefined ? queued.length : want);
    return r;
  };
}
