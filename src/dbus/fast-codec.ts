/**
 * Puts blekit's message codec under a dbus-next bus: dbus-next keeps the bus logic (serials,
 * replies, signal matching, exported objects), blekit encodes and decodes the bytes.
 *
 * Why: in the lab VM a BlueZ method call through dbus-next cost about 6 ms of CPU, 2.5 times
 * a hand-built message on a plain socket and 3.5 times Python's dbus-fast (which bleak uses);
 * most of it was dbus-next converting every value twice (to its internal format and then to
 * bytes) through generic helpers.
 */
import { createRequire } from 'node:module';
import type { EventEmitter } from 'node:events';
import { NotSupportedError } from '../core/errors.js';
import {
  MessageType,
  decodeHeader,
  decodeMessage,
  encodeMessage,
  restLength,
  type OutgoingMessage,
  type WireMessage,
} from './message-codec.js';

const require = createRequire(import.meta.url);

interface Readable {
  read(size?: number, fdSize?: number | null): unknown;
  on(event: 'readable', f: () => void): unknown;
  write(chunk: unknown): unknown;
  destroy?(err?: Error): void;
  writable: boolean;
  supportsUnixFd?: boolean;
}

interface Connection extends EventEmitter {
  stream: Readable;
  message: (msg: OutgoingMessage) => void;
}

type Unmarshal = (stream: Readable, onMessage: (m: unknown) => void, opts: unknown) => void;

const messageModule = require('dbus-next/lib/message.js') as { unmarshalMessages: Unmarshal };
const { Message } = require('dbus-next/lib/message-type.js') as {
  Message: { prototype: object };
};

/** The dbus-next connection a stream belongs to, for streams that use this codec. */
const owners = new WeakMap<object, Connection>();
let installed = false;

/** A message as dbus-next's bus expects it, without re-validating what the bus daemon checked. */
function toDbusNext(m: WireMessage): unknown {
  const { serial, ...rest } = m;
  return Object.assign(Object.create(Message.prototype) as object, rest, {
    _serial: serial,
    _sent: false,
  });
}

/** A reply whose body cannot be decoded still ends its call, as an error, instead of hanging. */
function undecodableReply(header: Buffer, rest: Buffer, err: Error): WireMessage | undefined {
  const type = header[1];
  if (type !== MessageType.methodReturn && type !== MessageType.error) return undefined;
  try {
    const m = decodeHeader(header, rest);
    return {
      type: MessageType.error,
      flags: 0,
      serial: m.serial,
      replySerial: m.replySerial,
      errorName: 'org.blekit.Error.MalformedReply',
      sender: m.sender,
      signature: 's',
      body: [err.message],
    };
  } catch {
    return undefined;
  }
}

function readMessages(stream: Readable, conn: Connection): void {
  let header: Buffer | null = null;
  let rest = 0;
  stream.on('readable', () => {
    for (;;) {
      if (!header) {
        const h = stream.read(16) as Buffer | null;
        if (!h) return;
        try {
          rest = restLength(h);
        } catch (e) {
          // The stream can no longer be split into messages: end the connection, say why.
          conn.emit('error', e);
          stream.destroy?.(e as Error);
          return;
        }
        header = h;
      }
      const r = stream.read(rest, null) as { data?: Buffer; fds?: number[] } | Buffer | null;
      const data = r ? (Buffer.isBuffer(r) ? r : r.data) : null;
      if (!data) return;
      const fds = (!Buffer.isBuffer(r) && r?.fds) || [];
      const h = header;
      header = null;
      let m: WireMessage | undefined;
      try {
        m = decodeMessage(h, data, fds);
      } catch (e) {
        m = undecodableReply(h, data, e as Error);
        if (!m) {
          conn.emit('error', e);
          continue;
        }
      }
      conn.emit('message', toDbusNext(m));
    }
  });
}

function installReader(): void {
  if (installed) return;
  installed = true;
  const original = messageModule.unmarshalMessages;
  messageModule.unmarshalMessages = (stream, onMessage, opts) => {
    const conn = owners.get(stream);
    if (conn) readMessages(stream, conn);
    else original(stream, onMessage, opts);
  };
}

/** Switches a freshly created dbus-next bus (before its handshake) to blekit's codec. */
export function useFastCodec(bus: unknown): void {
  const conn = (bus as { _connection?: Connection })._connection;
  const stream = conn?.stream;
  if (!conn || !stream || typeof conn.message !== 'function') return;
  installReader();
  owners.set(stream, conn);

  const write = (data: Buffer, fds: number[]): void => {
    if (stream.supportsUnixFd) stream.write({ data, fds });
    else if (fds.length > 0) {
      throw new NotSupportedError('this D-Bus connection cannot pass file descriptors');
    } else stream.write(data);
  };
  // Encoding happens at once, so a bad message fails its caller, also before the handshake.
  const queued: [Buffer, number[]][] = [];
  conn.message = (msg) => {
    const { data, fds } = encodeMessage(msg);
    queued.push([data, fds]);
  };
  // dbus-next's own 'connect' handler (registered first) sends its Hello, then this one runs.
  conn.once('connect', () => {
    for (const [data, fds] of queued.splice(0)) write(data, fds);
    conn.message = (msg) => {
      if (!stream.writable) throw new Error('Cannot send message, stream is closed');
      const { data, fds } = encodeMessage(msg);
      write(data, fds);
    };
  });
}
