// gatttool (BlueZ's deprecated interactive tool) as a bench peer: this script only types its
// commands and reads its answers; CPU and memory are gatttool's own, from /proc.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { stripVTControlCharacters } from 'node:util';
import type { ClientConfig } from '../protocol.js';
import { main, type LibraryAdapter } from './driver.js';

const hex = (b: Buffer): string => b.toString('hex');
const h4 = (n: number): string => `0x${n.toString(16).padStart(4, '0')}`;
/** Writes without response go out in chunks, each closed by a read that waits for them. */
const WWR_CHUNK = 25;

interface Waiter {
  ok: RegExp;
  resolve: (m: RegExpExecArray) => void;
  reject: (e: Error) => void;
}

function procStat(pid: number): { cpuMs: number; hwmMiB: number } {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(f[11]) + Number(f[12]);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const hwm = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return { cpuMs: ticks * 10, hwmMiB: hwm / 1024 };
  } catch {
    return { cpuMs: NaN, hwmMiB: NaN };
  }
}

async function make(cfg: ClientConfig): Promise<LibraryAdapter> {
  const child = spawn('gatttool', ['-i', cfg.adapter, '-b', cfg.address, '-I'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const pid = child.pid as number;
  let last = { cpuMs: 0, hwmMiB: 0 };
  const sample = (): typeof last => {
    const s = procStat(pid);
    if (!Number.isNaN(s.cpuMs)) last = s;
    return last;
  };
  const waiters: Waiter[] = [];
  const handles = new Map<string, number>();
  const onNotify = new Map<number, (v: Buffer) => void>();
  const FAIL = /(failed|Error:|error:|Invalid|not connected)/i;
  createInterface({ input: child.stdout }).on('line', (raw) => {
    const line = stripVTControlCharacters(raw).replace(/\r/g, '');
    const n = /Notification handle = (0x[0-9a-f]+) value: ([0-9a-f ]*)/i.exec(line);
    if (n) {
      const v = Buffer.from((n[2] as string).replace(/ /g, ''), 'hex');
      onNotify.get(Number(n[1]))?.(v);
      return;
    }
    const c = /char value handle: (0x[0-9a-f]+), uuid: ([0-9a-f-]+)/i.exec(line);
    if (c) handles.set((c[2] as string).toLowerCase(), Number(c[1]));
    const w = waiters[0];
    if (!w) return;
    const m = w.ok.exec(line);
    if (m) {
      waiters.shift();
      w.resolve(m);
    } else if (FAIL.test(line)) {
      waiters.shift();
      w.reject(new Error(line.trim()));
    }
  });
  child.stderr.on('data', () => undefined);
  const send = (cmd: string, ok: RegExp): Promise<RegExpExecArray> =>
    new Promise((resolve, reject) => {
      waiters.push({ ok, resolve, reject });
      child.stdin.write(cmd + '\n');
    });
  const handle = (uuid: string): number => {
    const h = handles.get(uuid.toLowerCase());
    if (h === undefined) throw new Error(`no characteristic ${uuid}`);
    return h;
  };
  const VALUE = /Characteristic value\/descriptor: ([0-9a-f ]*)/i;
  const read = async (uuid: string): Promise<Buffer> => {
    const m = await send(`char-read-hnd ${h4(handle(uuid))}`, VALUE);
    return Buffer.from((m[1] as string).replace(/ /g, ''), 'hex');
  };
  let unsynced = 0;
  const version = /(\d+\.\d+)/.exec(
    readFileSync('/var/lib/dpkg/status', 'utf8').split('\nPackage: bluez\n')[1] ?? '',
  );
  return {
    library: 'gatttool',
    version: version?.[1] ?? '',
    async connect() {
      await send('connect', /Connection successful/);
      const wanted = Object.values(cfg.uuids).filter((u) => u !== cfg.uuids.service);
      const listed = new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('characteristics not listed in 20 s')), 20_000);
        const check = setInterval(() => {
          if (wanted.every((u) => handles.has(u))) {
            clearTimeout(t);
            clearInterval(check);
            resolve();
          }
        }, 5);
      });
      child.stdin.write('characteristics\n');
      await listed;
    },
    read,
    async write(uuid, value, withResponse) {
      if (withResponse) {
        await send(`char-write-req ${h4(handle(uuid))} ${hex(value)}`, /written successfully/);
        return;
      }
      child.stdin.write(`char-write-cmd ${h4(handle(uuid))} ${hex(value)}\n`);
      // gatttool answers nothing to a command: a read after each chunk keeps the pipe bounded.
      if (++unsynced >= WWR_CHUNK) {
        unsynced = 0;
        await read(cfg.uuids.read);
      }
    },
    async subscribe(uuid, onValue) {
      const h = handle(uuid);
      onNotify.set(h, onValue);
      // BlueZ serves the CCCD right after the value attribute of a notify characteristic.
      await send(`char-write-req ${h4(h + 1)} 0100`, /written successfully/);
    },
    async unsubscribe(uuid) {
      const h = handle(uuid);
      await send(`char-write-req ${h4(h + 1)} 0000`, /written successfully/);
      onNotify.delete(h);
    },
    async disconnect() {
      sample();
      child.stdin.write('disconnect\nexit\n');
      await new Promise((r) => {
        const t = setTimeout(() => (child.kill('SIGKILL'), r(undefined)), 5000);
        child.once('exit', () => (clearTimeout(t), r(undefined)));
      });
    },
    cpuMs: () => sample().cpuMs,
    peakRssMiB: () => sample().hwmMiB,
  };
}

await main(make);
