/**
 * Pure parser of a `gatttool -I` (BlueZ 5.x interactive mode) conversation read over plain
 * pipes. gatttool draws its prompt with readline even without a terminal, so the stream
 * carries ANSI colour codes, `\r\x1b[K` line clears and prompt redraws around every line it
 * prints while idle; values arrive as hex. The parser turns that stream into typed events.
 *
 * Layout facts it relies on (attrib/interactive.c, client/display.c):
 * - prompt: `[<17 chars>][LE]> `; the address part is wrapped in \x1b[0;94m..\x1b[0m while
 *   connected (the only place the connection state shows without asking a command);
 * - what readline reads is echoed after the prompt and ended by '\n' just before the command
 *   runs, so "echo, then the next prompt" brackets everything a command prints synchronously;
 * - output printed while idle is `\r\x1b[K` + text + '\n' + prompt redraw.
 */
import { DecodeError } from '../../core/index.js';

/** One thing gatttool printed, classified; `kind` tells which. */
export type GatttoolEvent =
  /** A prompt was drawn; `connected` is read from its colour. */
  | { kind: 'prompt'; connected: boolean; address: string | undefined }
  /** Readline accepted this input line (the command runs right after). */
  | { kind: 'echo'; command: string }
  | { kind: 'notification'; handle: number; value: Buffer; indication: boolean }
  /** char-read-hnd result. */
  | { kind: 'value'; value: Buffer }
  /** One char-read-uuid result line. */
  | { kind: 'uuidValue'; handle: number; value: Buffer }
  /** One `primary` line. */
  | { kind: 'primary'; start: number; end: number; uuid: string }
  /** One `primary <uuid>` line. */
  | { kind: 'primaryRange'; start: number; end: number }
  | { kind: 'included'; handle: number; start: number; end: number; uuid: string }
  | {
      kind: 'characteristic';
      handle: number;
      properties: number;
      valueHandle: number;
      uuid: string;
    }
  /** One char-desc line (every attribute in the range, declarations included). */
  | { kind: 'descriptor'; handle: number; uuid: string }
  | { kind: 'written' }
  | { kind: 'connecting'; address: string }
  | { kind: 'connected' }
  | { kind: 'mtu'; mtu: number }
  | { kind: 'secLevel'; level: string }
  /** 'Error: ...' (error) or 'Command Failed: ...' (failed), colour codes removed. */
  | { kind: 'error'; message: string; failed: boolean }
  /** Usage hints ('Usage: mtu <value>', 'Allowed values: ...'): the command was malformed. */
  | { kind: 'usage'; text: string }
  /** Anything else gatttool printed (help text, GLib warnings). */
  | { kind: 'text'; text: string };

// CSI sequences (colours, line clears) and readline's invisible-text markers.
// eslint-disable-next-line no-control-regex
const CSI = /\x1b\[[0-9;?]*[A-Za-z]|[\x01\x02]/g;
const BLUE = '\x1b[0;94m';
const PROMPT =
  // eslint-disable-next-line no-control-regex
  /^(?:\x1b\[[0-9;]*[A-Za-z])*?(\x1b\[0;94m)?\[([0-9A-Fa-f:]{17}| {17})\](?:\x1b\[0m)?\[(?:LE|BR)\]> /;

const H = '0x([0-9a-fA-F]{4})';
const HEX = '((?:[0-9a-fA-F]{2} ?)*)';
const UUID = '([0-9a-fA-F-]{4,36})';

type Rule = [RegExp, (m: RegExpExecArray) => GatttoolEvent];

const hex = (s: string | undefined): number => parseInt(s as string, 16);

/** Bytes from gatttool's '01 02 ff ' value text. */
export function parseHexBytes(text: string): Buffer {
  const t = text.replace(/\s+/g, '');
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(t)) {
    throw new DecodeError(`gatttool value is not hex bytes: ${JSON.stringify(text)}`);
  }
  return Buffer.from(t, 'hex');
}

const RULES: Rule[] = [
  [
    new RegExp(`^(Notification|Indication) +handle = ${H} value: ?${HEX}$`),
    (m) => ({
      kind: 'notification',
      indication: m[1] === 'Indication',
      handle: hex(m[2]),
      value: parseHexBytes(m[3] as string),
    }),
  ],
  [
    new RegExp(`^Characteristic value/descriptor: ?${HEX}$`),
    (m) => ({ kind: 'value', value: parseHexBytes(m[1] as string) }),
  ],
  [
    new RegExp(`^handle: ${H} \\t value: ?${HEX}$`),
    (m) => ({ kind: 'uuidValue', handle: hex(m[1]), value: parseHexBytes(m[2] as string) }),
  ],
  [
    new RegExp(`^attr handle: ${H}, end grp handle: ${H} uuid: ${UUID}$`),
    (m) => ({ kind: 'primary', start: hex(m[1]), end: hex(m[2]), uuid: m[3] as string }),
  ],
  [
    new RegExp(`^Starting handle: ${H} Ending handle: ${H}$`),
    (m) => ({ kind: 'primaryRange', start: hex(m[1]), end: hex(m[2]) }),
  ],
  [
    new RegExp(`^handle: ${H}, start handle: ${H}, end handle: ${H} uuid: ${UUID}$`),
    (m) => ({
      kind: 'included',
      handle: hex(m[1]),
      start: hex(m[2]),
      end: hex(m[3]),
      uuid: m[4] as string,
    }),
  ],
  [
    new RegExp(
      `^handle: ${H}, char properties: 0x([0-9a-fA-F]{2}), char value handle: ${H}, uuid: ${UUID}$`,
    ),
    (m) => ({
      kind: 'characteristic',
      handle: hex(m[1]),
      properties: hex(m[2]),
      valueHandle: hex(m[3]),
      uuid: m[4] as string,
    }),
  ],
  [
    new RegExp(`^handle: ${H}, uuid: ${UUID}$`),
    (m) => ({ kind: 'descriptor', handle: hex(m[1]), uuid: m[2] as string }),
  ],
  [/^Characteristic value was written successfully$/, () => ({ kind: 'written' })],
  [/^Attempting to connect to (\S+)$/, (m) => ({ kind: 'connecting', address: m[1] as string })],
  [/^Connection successful$/, () => ({ kind: 'connected' })],
  [
    /^MTU was exchanged successfully: (\d+)$/,
    (m) => ({ kind: 'mtu', mtu: parseInt(m[1] as string, 10) }),
  ],
  [/^sec-level: (\S+)$/, (m) => ({ kind: 'secLevel', level: m[1] as string })],
  [
    /^(Error|Command Failed): (.*)$/,
    (m) => ({ kind: 'error', failed: m[1] === 'Command Failed', message: (m[2] as string).trim() }),
  ],
  [/^(Usage: .*|Allowed values: .*)$/, (m) => ({ kind: 'usage', text: m[1] as string })],
];

/** Classifies one line of gatttool output (colour codes already removed). */
export function classifyLine(line: string): GatttoolEvent | undefined {
  const text = line.replace(/\s+$/, '');
  if (text === '') return undefined;
  for (const [re, make] of RULES) {
    const m = re.exec(text);
    if (m) {
      try {
        return make(m);
      } catch (e) {
        if (e instanceof DecodeError) return { kind: 'text', text };
        throw e;
      }
    }
  }
  return { kind: 'text', text };
}

/** `s` without terminal escape sequences (colours, line clears) and readline's markers. */
export function stripAnsi(s: string): string {
  return s.replace(CSI, '');
}

export interface ParserOptions {
  /** Longest run of output without a line break the parser holds before failing; default 1 MiB. */
  maxLineLength?: number;
}

/** Longest text that can still be a bare prompt (prompt, colour codes, readline redraws). */
const MAX_PROMPT_TEXT = 4096;

/**
 * Incremental parser: feed() it output chunks as they arrive (any split, UTF-8 or latin1
 * text), get events in order. Work is linear in the output: each chunk is scanned once and
 * an unfinished line is kept as a list of parts, joined once when its line break arrives.
 * A line longer than `maxLineLength` throws DecodeError: gatttool never prints one, so the
 * stream is not gatttool's (the session then ends gatttool). The parser drops what remains of
 * that chunk and everything up to the next line break, then parses on.
 */
export class GatttoolParser {
  /** The unfinished line, in the parts it arrived in. */
  private pending: string[] = [];
  private pendingLength = 0;
  /** The prompt at the start of the pending line has been reported already. */
  private pendingPrompt = false;
  /** Dropping the rest of an overlong line until its line break. */
  private discarding = false;
  private readonly maxLineLength: number;

  constructor(options: ParserOptions = {}) {
    this.maxLineLength = options.maxLineLength ?? 1024 * 1024;
  }

  /**
   * Parses the next chunk of output, split anywhere; returns the events it completed, in order.
   * An unfinished line waits for the next chunk, except a bare prompt, reported at once.
   * @throws DecodeError when a line outgrows `maxLineLength` (see the class comment).
   */
  feed(chunk: string): GatttoolEvent[] {
    const out: GatttoolEvent[] = [];
    let start = 0;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk.charCodeAt(i);
      if (c !== 0x0a && c !== 0x0d) continue;
      const piece = chunk.slice(start, i);
      start = i + 1;
      if (this.discarding) {
        this.discarding = false;
        continue;
      }
      const length = this.pendingLength + piece.length;
      if (length > this.maxLineLength) {
        const last = chunk.charCodeAt(chunk.length - 1);
        throw this.overflow(length, 'in one line', last !== 0x0a && last !== 0x0d);
      }
      const line = this.pendingLength === 0 ? piece : this.pending.join('') + piece;
      this.pending = [];
      this.pendingLength = 0;
      this.segment(line, c === 0x0a, out);
      this.pendingPrompt = false;
    }
    const rest = chunk.slice(start);
    if (this.discarding || rest === '') return out;
    this.pending.push(rest);
    this.pendingLength += rest.length;
    if (this.pendingLength > this.maxLineLength) {
      throw this.overflow(this.pendingLength, 'without a line break', true);
    }
    // The prompt gatttool leaves while waiting for input has no line break after it.
    if (!this.pendingPrompt && this.pendingLength <= MAX_PROMPT_TEXT) {
      const text = this.pending.join('');
      this.pending = [text];
      const m = PROMPT.exec(text);
      if (m && stripAnsi(text.slice(m[0].length)) === '') {
        out.push(promptEvent(m));
        this.pendingPrompt = true;
      }
    }
    return out;
  }

  /**
   * Forgets the pending line and says why. The rest of the chunk is dropped; when the chunk
   * ended inside a line, so is that line's remainder in the chunks to come.
   */
  private overflow(length: number, what: string, endsMidLine: boolean): DecodeError {
    this.pending = [];
    this.pendingLength = 0;
    this.pendingPrompt = false;
    this.discarding = endsMidLine;
    return new DecodeError(
      `gatttool printed ${length} characters ${what} (limit ${this.maxLineLength})`,
    );
  }

  private segment(raw: string, newline: boolean, out: GatttoolEvent[]): void {
    const m = PROMPT.exec(raw);
    if (!m) {
      const ev = classifyLine(stripAnsi(raw));
      if (ev) out.push(ev);
      return;
    }
    if (!this.pendingPrompt) out.push(promptEvent(m));
    const rest = stripAnsi(raw.slice(m[0].length));
    // A '\r' ends a redraw: only a '\n' means readline accepted the line.
    if (newline && rest.trim() !== '') out.push({ kind: 'echo', command: rest.trim() });
  }
}

function promptEvent(m: RegExpExecArray): GatttoolEvent {
  const addr = (m[2] as string).trim();
  return { kind: 'prompt', connected: m[1] === BLUE, address: addr === '' ? undefined : addr };
}
