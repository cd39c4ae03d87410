// A stand-in for `gatttool -I` that draws its prompt and prints its lines the way BlueZ 5.66's
// does over pipes (colour codes, '\r\x1b[K' before idle output, prompt redraws), so the
// session can be tested on machines without Bluetooth. Test hooks: address ...:01 refuses,
// ...:02 never answers; handle 0x0077 answers a read after 1.5 s; 'drop' loses the link silently.
// Its database has a secondary service (0x000a..0x000c) that `primary` does not list.
import { createInterface } from 'node:readline';

const BLUE = '\x1b[0;94m';
const OFF = '\x1b[0m';
const RED = '\x1b[0;91m';
let connected = false;
let dst = '';

const prompt = (): string =>
  connected ? `${BLUE}[${dst}]${OFF}[LE]> ` : `[${dst.padEnd(17, ' ')}][LE]> `;
const out = (s: string): boolean => process.stdout.write(s);
/** Output while idle: readline clears the line, prints, redraws the prompt. */
const idle = (lines: string[]): void => {
  out('\r\x1b[K' + lines.map((l) => l + '\n').join('') + prompt());
};
/** Like the ATT bearer, one request at a time: answers come in the order of the requests. */
let busyUntil = 0;
const later = (lines: string[] | (() => string[]), ms = 20): void => {
  const at = Math.max(Date.now(), busyUntil) + ms;
  busyUntil = at;
  setTimeout(() => idle(typeof lines === 'function' ? lines() : lines), at - Date.now());
};
/** Idle output that is not an answer (notifications). */
const soon = (lines: string[], ms: number): void => {
  setTimeout(() => idle(lines), ms);
};

out(prompt());
createInterface({ input: process.stdin }).on('line', (raw) => {
  const line = raw.trim();
  if (line === '') {
    out('\r\x1b[K\r' + prompt());
    return;
  }
  out(line + '\n');
  const [cmd, a1, a2] = line.split(/\s+/);
  const failed = (m: string): boolean => out(`${RED}Command Failed: ${OFF}${m}\n`);
  const needLink = (): boolean => {
    if (!connected) failed('Disconnected');
    return connected;
  };
  switch (cmd) {
    case 'connect':
      if (connected) break;
      dst = a1 ?? dst;
      out(`Attempting to connect to ${dst}\n`);
      if (dst.endsWith(':01'))
        later([`${RED}Error: ${OFF}connect error: Connection refused (111)`]);
      else if (!dst.endsWith(':02')) {
        later(() => {
          connected = true;
          return ['Connection successful'];
        });
      }
      break;
    case 'disconnect':
      connected = false;
      break;
    case 'drop':
      setTimeout(() => (connected = false), 10);
      break;
    case 'sec-level':
      out(`sec-level: ${a1 ?? 'low'}\n`);
      break;
    case 'char-read-hnd':
      if (!needLink()) break;
      if (a1 === '0x0077') {
        later(['Characteristic value/descriptor: ff '], 1500);
        break;
      }
      if (a1 === '0x000a') {
        // The secondary service's declaration: its UUID, little-endian.
        later([
          'Characteristic value/descriptor: 74 69 6b 65 6c 62 00 80 00 40 e0 b1 01 c0 00 00 ',
        ]);
        break;
      }
      if (a1 === '0x0099') {
        later([
          `${RED}Error: ${OFF}Characteristic value/descriptor read failed: Attribute can't be read`,
        ]);
        break;
      }
      soon(['Notification handle = 0x0008 value: 01 00 00 00 '], 5);
      soon(['Indication   handle = 0x0012 value: 02 '], 10);
      later(['Characteristic value/descriptor: 68 69 '], 30);
      break;
    case 'char-write-req':
      if (needLink()) later(['Characteristic value was written successfully']);
      break;
    case 'char-write-cmd':
      needLink();
      break;
    case 'mtu':
      if (needLink()) later([`MTU was exchanged successfully: ${Math.min(Number(a1), 64)}`]);
      break;
    case 'primary':
      if (needLink()) {
        later([
          'attr handle: 0x0001, end grp handle: 0x0005 uuid: 00001800-0000-1000-8000-00805f9b34fb',
          'attr handle: 0x0006, end grp handle: 0x0009 uuid: 0000c000-b1e0-4000-8000-626c656b6974',
        ]);
      }
      break;
    case 'char-desc':
      if (needLink()) {
        later([
          'handle: 0x0001, uuid: 00002800-0000-1000-8000-00805f9b34fb',
          'handle: 0x0002, uuid: 00002803-0000-1000-8000-00805f9b34fb',
          'handle: 0x0003, uuid: 00002a00-0000-1000-8000-00805f9b34fb',
          'handle: 0x0004, uuid: 00002803-0000-1000-8000-00805f9b34fb',
          'handle: 0x0005, uuid: 00002a01-0000-1000-8000-00805f9b34fb',
          'handle: 0x0006, uuid: 00002800-0000-1000-8000-00805f9b34fb',
          'handle: 0x0007, uuid: 00002803-0000-1000-8000-00805f9b34fb',
          'handle: 0x0008, uuid: 0000c003-b1e0-4000-8000-626c656b6974',
          'handle: 0x0009, uuid: 00002902-0000-1000-8000-00805f9b34fb',
          'handle: 0x000a, uuid: 00002801-0000-1000-8000-00805f9b34fb',
          'handle: 0x000b, uuid: 00002803-0000-1000-8000-00805f9b34fb',
          'handle: 0x000c, uuid: 0000c005-b1e0-4000-8000-626c656b6974',
        ]);
      }
      break;
    case 'characteristics':
      if (needLink()) {
        later([
          'handle: 0x0002, char properties: 0x02, char value handle: 0x0003, uuid: 00002a00-0000-1000-8000-00805f9b34fb',
          'handle: 0x0004, char properties: 0x02, char value handle: 0x0005, uuid: 00002a01-0000-1000-8000-00805f9b34fb',
          'handle: 0x0007, char properties: 0x12, char value handle: 0x0008, uuid: 0000c003-b1e0-4000-8000-626c656b6974',
          'handle: 0x000b, char properties: 0x02, char value handle: 0x000c, uuid: 0000c005-b1e0-4000-8000-626c656b6974',
        ]);
      }
      break;
    case 'exit':
    case 'quit':
      process.exit(0);
      break;
    default:
      out(`${RED}Error: ${OFF}${cmd}: command not found\n`);
  }
  void a2;
  out(prompt());
});
