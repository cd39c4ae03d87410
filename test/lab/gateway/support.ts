// What the gateway lab tests share: child processes read line by line, and mosquitto (broker and
// clients) as the independent MQTT peer.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { blekitBin } from '../../support/bin.js';
import { run } from '../../support/proc.js';

export interface Proc {
  child: ChildProcess;
  lines: string[];
  output: () => string;
  waitFor(pred: (line: string) => boolean, ms: number, what: string): Promise<string>;
  exited: Promise<number | null>;
}

export function start(cmd: string, args: string[], env: Record<string, string> = {}): Proc {
  const child = spawn(cmd, args, {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  const lines: string[] = [];
  let err = '';
  let buf = '';
  const waiters = new Set<() => void>();
  child.stdout?.on('data', (b: Buffer) => {
    buf += b.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      lines.push(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
    }
    for (const w of waiters) w();
  });
  child.stderr?.on('data', (b: Buffer) => (err += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  return {
    child,
    lines,
    exited,
    output: () => `${lines.join('\n')}\nstderr: ${err}`,
    waitFor: (pred, ms, what) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          const hit = lines.find(pred);
          if (hit === undefined) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(hit);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no ${what} in ${ms} ms:\n${lines.join('\n')}\nstderr: ${err}`));
        }, ms);
        waiters.add(check);
        check();
      }),
  };
}

export async function stop(
  p: Proc | undefined,
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<number | null> {
  if (!p) return null;
  if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill(signal);
  const kill = setTimeout(() => p.child.kill('SIGKILL'), 15_000);
  const code = await p.exited;
  clearTimeout(kill);
  return code;
}

/** One `topic payload` line from mosquitto_sub -v, the payload parsed. */
export function message(line: string): { topic: string; payload: Record<string, unknown> } {
  const sp = line.indexOf(' ');
  return { topic: line.slice(0, sp), payload: JSON.parse(line.slice(sp + 1)) };
}

/** What a client connecting now receives first on the topic: the retained message. */
export async function retained(port: number, topic: string): Promise<Record<string, unknown>> {
  const r = await run(
    'mosquitto_sub',
    ['-p', String(port), '-t', topic, '-C', '1', '-W', '10'],
    15_000,
  );
  assert.equal(r.code, 0, `no retained message on ${topic}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

export const onTopic =
  (topic: string, pred: (p: Record<string, unknown>) => boolean = () => true) =>
  (l: string): boolean => {
    if (!l.startsWith(`${topic} `)) return false;
    return pred(message(l).payload);
  };

/** Starts mosquitto with these arguments; resolves once a client can connect on `port`. */
export async function startMosquitto(
  port: number,
  args: string[] = ['-p', String(port)],
): Promise<Proc> {
  const broker = start('mosquitto', args);
  for (let i = 0; i < 50; i++) {
    const r = await run('mosquitto_pub', ['-p', String(port), '-t', 'probe', '-m', 'x'], 5000);
    if (r.code === 0) return broker;
    await new Promise((res) => setTimeout(res, 200));
  }
  throw new Error(`mosquitto did not start on ${port}: ${broker.output()}`);
}

/** Where the command tests' replies go. */
export const REPLIES = 'lab/replies';

export type Reply = Record<string, unknown>;

/** mosquitto_sub on REPLIES printing `<correlation data> <payload>` (%D: the MQTT 5 property). */
export function repliesSubscriber(port: number): Proc {
  return start('mosquitto_sub', [
    ...['-V', 'mqttv5', '-p', String(port), '-q', '1', '-t', REPLIES, '-F', '%D %p'],
  ]);
}

let nextRequest = 0;

/** Sends one command with mosquitto_pub (MQTT 5) and returns the reply matched by correlation. */
export function sendCommand(
  port: number,
  replies: Proc,
  gateway: string,
  body: Record<string, unknown> | string,
  ms = 90_000,
): Promise<Reply> {
  return sendTo(port, replies, `blekit/gateways/${gateway}/command`, body, ms);
}

/** sendCommand() to any command topic (a fleet's device topic). */
export async function sendTo(
  port: number,
  replies: Proc,
  topic: string,
  body: Record<string, unknown> | string,
  ms = 90_000,
): Promise<Reply> {
  const id = `req-${++nextRequest}`;
  const payload = typeof body === 'string' ? body : JSON.stringify(body);
  const r = await run(
    'mosquitto_pub',
    [
      ...['-V', 'mqttv5', '-p', String(port), '-q', '1'],
      ...['-t', topic, '-m', payload],
      ...['-D', 'publish', 'response-topic', REPLIES],
      ...['-D', 'publish', 'correlation-data', id],
    ],
    15_000,
  );
  assert.equal(r.code, 0, r.stderr);
  const line = await replies.waitFor((l) => l.startsWith(`${id} `), ms, `reply ${id}`);
  return JSON.parse(line.slice(id.length + 1)) as Reply;
}

/** `blekit gateway --json` on `adapter` publishing to mosquitto on `port` (or to `url`). */
export function startGateway(
  port: number,
  id: string,
  extra: string[],
  adapter = 'hci0',
  {
    url = `mqtt://127.0.0.1:${port}`,
    env = {},
  }: { url?: string; env?: Record<string, string> } = {},
): Proc {
  return start(
    process.execPath,
    [
      blekitBin,
      ...['gateway', '--adapter', adapter, '--mqtt', url, '--id', id],
      ...['--json', ...extra],
    ],
    env,
  );
}

export async function ready(gw: Proc): Promise<void> {
  await gw.waitFor((l) => l.includes('"ready"'), 150_000, 'gateway ready');
}
