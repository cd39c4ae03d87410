// The broker goes away and comes back: mosquitto (with persistence, so a subscriber's session
// and its queued messages survive the restart) is stopped for a while during a notification
// stream relayed by `blekit gateway`. The stream's sequence numbers, as an independent
// mosquitto_sub received them, must have no gap beyond what the gateway reports as dropped.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { assertInLab } from '../../support/proc.js';
import { PEER } from './peer-spec.js';
import {
  message,
  ready,
  repliesSubscriber,
  retained,
  sendCommand,
  start,
  startGateway,
  startMosquitto,
  stop,
  type Proc,
} from './support.js';

const PEER_MAIN = fileURLToPath(new URL('./gatt-peer.js', import.meta.url));
const PORT = 1888;
const ADDRESS = '00:AA:01:01:00:01';
const TOPIC = `blekit/devices/00AA01010001/notify/${PEER.notify}`;
const BUFFER = 20;

let conf = '';
let broker: Proc | undefined;
let peer: Proc | undefined;
let replies: Proc | undefined;

const mosquitto = (): Promise<Proc> => startMosquitto(PORT, ['-c', conf]);
/** A persistent-session subscriber: a second one with the same id resumes the first's queue. */
const notes = (): Proc =>
  start('mosquitto_sub', [
    ...['-p', String(PORT), '-c', '-i', 'lab-notes', '-q', '1', '-v', '-t', TOPIC],
  ]);

before(async () => {
  assertInLab();
  const dir = mkdtempSync(join(tmpdir(), 'blekit-mosquitto-'));
  conf = join(dir, 'mosquitto.conf');
  writeFileSync(
    conf,
    `listener ${PORT} 127.0.0.1\nallow_anonymous true\nuser root\npersistence true\npersistence_location ${dir}/\n`,
  );
  broker = await mosquitto();
  peer = start(process.execPath, [PEER_MAIN, 'hci1']);
  await peer.waitFor((l) => l.includes('"ready"'), 60_000, 'peer ready');
});

after(async () => {
  await stop(replies);
  await stop(peer);
  await stop(broker);
});

test(
  'mosquitto restarted mid-stream: nothing lost beyond the drops the gateway reports',
  { timeout: 400_000 },
  async () => {
    const gw = startGateway(PORT, 'rc', ['--allow', ADDRESS, '--buffer', String(BUFFER)]);
    let first: Proc | undefined = notes();
    let second: Proc | undefined;
    try {
      await ready(gw);
      replies = repliesSubscriber(PORT);
      const request = (body: Record<string, unknown>): Promise<Record<string, unknown>> =>
        sendCommand(PORT, replies as Proc, 'rc', body);
      const c = await request({ command: 'connect', address: ADDRESS, timeoutMs: 60_000 });
      assert.equal(c.result, 'ok', JSON.stringify(c));
      const s = await request({
        command: 'subscribe',
        address: ADDRESS,
        characteristic: PEER.notify,
      });
      assert.equal(s.result, 'ok', JSON.stringify(s));
      await first.waitFor(
        (l) => l.startsWith(`${TOPIC} `) && message(l).payload.seq === 5,
        30_000,
        'stream',
      );

      // The broker goes away (saving its sessions) for 6 s: about 30 values at 5 per second.
      await stop(replies);
      await stop(broker);
      await stop(first);
      const received = [...first.lines];
      first = undefined;
      await new Promise((r) => setTimeout(r, 6000));
      broker = await mosquitto();
      second = notes();
      const back = JSON.parse(
        await gw.waitFor((l) => l.includes('"reconnect"'), 90_000, 'gateway reconnect'),
      ) as { delivered: number; dropped: number };
      assert.ok(back.delivered > 0 && back.delivered <= BUFFER, JSON.stringify(back));
      assert.ok(back.dropped > 0, `the outage should overflow a buffer of ${BUFFER}`);
      const status = await retained(PORT, 'blekit/gateways/rc/status');
      assert.equal(status.state, 'online');
      assert.equal(status.dropped, back.dropped);

      // Values keep flowing after the reconnect; then compare what arrived with what was sent.
      const resumed = second;
      const lastSeq = (): number =>
        Math.max(
          0,
          ...resumed.lines
            .filter((l) => l.startsWith(`${TOPIC} `))
            .map((l) => Number(message(l).payload.seq)),
        );
      const target = lastSeq() + 10;
      await second.waitFor(
        (l) => l.startsWith(`${TOPIC} `) && Number(message(l).payload.seq) >= target,
        30_000,
        'values after the reconnect',
      );
      const seqs = new Set(
        [...received, ...second.lines]
          .filter((l) => l.startsWith(`${TOPIC} `))
          .map((l) => Number(message(l).payload.seq)),
      );
      const top = Math.max(...seqs);
      const missing: number[] = [];
      for (let i = 1; i <= top; i++) if (!seqs.has(i)) missing.push(i);
      console.log(
        `# reconnect: ${top} values, ${back.delivered} delivered from the buffer, ${back.dropped} dropped, ${missing.length} missing`,
      );
      assert.ok(
        missing.length <= back.dropped,
        `missing ${missing.length} > dropped ${back.dropped}: ${missing.join(',')}`,
      );
      // The bound drops the oldest: the gap is one run of consecutive values.
      if (missing.length > 0) {
        assert.equal((missing.at(-1) as number) - (missing[0] as number) + 1, missing.length);
      }
    } finally {
      await stop(first);
      await stop(second);
      await stop(gw, 'SIGINT');
    }
  },
);
