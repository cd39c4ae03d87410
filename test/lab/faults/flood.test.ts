// Fault suite (issue 18): the peer floods notifications with no flow control (as fast as its
// main loop turns) at a central reading them through notifications() with a slow consumer.
// blekit must stay bounded in memory, count what it dropped (stream.dropped), and unsubscribe
// promptly when the loop is left; values lost before they reached blekit are counted by
// sequence number against what the peer says it sent.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Device } from '../../../src/central/index.js';
import { FAULT, connectedRig, faultPeer, reportFault, sleep } from './support.js';

const FLOOD_MS = Number(process.env.BLEKIT_FLOOD_MS ?? 10_000);
const peer = faultPeer();
let device: Device;

connectedRig(
  () => peer,
  {},
  (d) => (device = d),
);

test(
  'a notification flood: bounded memory, losses counted, unsubscribe at once',
  { timeout: 180_000 },
  async () => {
    const stream = device.notifications(FAULT.seq, { bufferSize: 256 });
    const rss0 = process.memoryUsage().rss;
    let rssMax = rss0;
    const sampler = setInterval(() => {
      rssMax = Math.max(rssMax, process.memoryUsage().rss);
    }, 100);
    let consumed = 0;
    let highest = -1;
    let unsubscribeMs = 0;
    let sentLine = '';
    const it = stream[Symbol.asyncIterator]();
    try {
      const subscribed = peer.expectLine('subscribed f003', 30_000);
      // The first next() subscribes; the flood starts once the peer has seen the subscription.
      let next = it.next();
      await subscribed;
      const stopped = peer.expectLine('flood stopped', FLOOD_MS + 60_000);
      stopped.catch(() => undefined);
      await device.write(FAULT.control, Buffer.from('flood'));
      const endAt = Date.now() + FLOOD_MS;
      while (Date.now() < endAt) {
        const r = await next;
        if (r.done) throw new Error('the stream ended during the flood');
        consumed++;
        highest = Math.max(highest, r.value.readUInt32LE(0));
        // A consumer slower than the flood: 2 ms a value.
        await sleep(2);
        next = it.next();
      }
      const t0 = Date.now();
      await it.return?.();
      unsubscribeMs = Date.now() - t0;
      void next.catch(() => undefined);
      sentLine = await stopped;
    } finally {
      clearInterval(sampler);
    }
    const sent = Number(sentLine.split(' ')[2]);
    const reached = consumed + stream.dropped;
    const lostBefore = sent - reached;
    const growMiB = (rssMax - rss0) / 2 ** 20;
    console.log(
      `# flood: peer sent ${sent}, blekit got ${reached} (consumed ${consumed}, dropped ${stream.dropped}), ` +
        `lost before blekit ${lostBefore}, highest seq ${highest}, RSS +${growMiB.toFixed(1)} MiB, ` +
        `unsubscribe ${unsubscribeMs} ms`,
    );
    assert.ok(sent > 0 && consumed > 0);
    assert.ok(stream.dropped > 0, 'the slow consumer made the stream drop (and count) values');
    assert.ok(reached <= sent);
    assert.ok(growMiB < 64, `RSS grew ${growMiB.toFixed(1)} MiB`);
    // The link is still fine for other work after the flood.
    await device.write(FAULT.echo, Buffer.from('after'));
    assert.deepEqual(await device.read(FAULT.echo), Buffer.from('after'));
    reportFault({
      case: 'notification flood, no flow control',
      happened: `sent ${sent}; reached blekit ${reached}; dropped by stream ${stream.dropped}; lost before blekit ${lostBefore}; RSS +${growMiB.toFixed(1)} MiB; unsubscribe ${unsubscribeMs} ms`,
      recovered: 'yes: reads/writes after the flood',
    });
  },
);
