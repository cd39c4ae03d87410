// A blekit peripheral for the gateway command test: on adapter argv[2] it advertises (connectable,
// with its service UUID) and serves a readable, a writable and a notifying characteristic. It
// prints one JSON line per event: {"event":"ready"}, {"event":"write","hex":...},
// {"event":"subscribed"}, {"event":"unsubscribed"}. While subscribed it notifies a u32 LE counter
// every 200 ms. `--replay N`: a new subscriber first gets the last N values again (a device that
// keeps a short history, so that a stream can survive a gateway dying with values in flight).
// `--nudge`: while no central is connected, advertising restarts every 2 s (btvirt reports an
// advertiser once per enable; a real radio repeats its adverts), and it stops while one is, as
// most real peripherals do (btvirt mishandles a peripheral's second link: same handle).
import { Peripheral, type LocalCharacteristic } from '../../../src/peripheral/index.js';
import { PEER } from './peer-spec.js';

const say = (o: Record<string, unknown>): void =>
  void process.stdout.write(JSON.stringify(o) + '\n');

async function main(): Promise<void> {
  const adapter = process.argv[2] ?? 'hci1';
  const flag = process.argv.indexOf('--replay');
  const replay = flag > 0 ? Number(process.argv[flag + 1]) : 0;
  const p = await Peripheral.open({ adapter, handleSignals: false });
  const svc = await p.addService({
    uuid: PEER.service,
    characteristics: [
      { uuid: PEER.read, flags: ['read'], value: Buffer.from(PEER.readValue) },
      {
        uuid: PEER.write,
        flags: ['write', 'write-without-response'],
        onWrite: (req) => say({ event: 'write', hex: req.value.toString('hex') }),
      },
      { uuid: PEER.notify, flags: ['notify'] },
    ],
  });
  const counter = svc.characteristic(PEER.notify) as LocalCharacteristic;
  let n = 0;
  let timer: NodeJS.Timeout | undefined;
  counter.on('subscribe', () => {
    n = Math.max(0, n - replay);
    say({ event: 'subscribed', from: n });
    timer ??= setInterval(() => {
      if (!counter.isNotifying) return;
      const b = Buffer.alloc(4);
      b.writeUInt32LE(n++);
      counter.notify(b).catch(() => undefined);
    }, 200);
  });
  counter.on('unsubscribe', () => {
    say({ event: 'unsubscribed' });
    clearInterval(timer);
    timer = undefined;
  });
  const advertising = { localName: 'blekit gw peer', serviceUuids: [PEER.service] };
  let ad = await p.advertise(advertising);
  let links = 0;
  let busy = false;
  const readvertise = async (on: boolean): Promise<void> => {
    if (busy) return;
    busy = true;
    try {
      await ad.stop();
      if (on) ad = await p.advertise(advertising);
    } catch (e) {
      say({ event: 'nudge-failed', message: String(e) });
    } finally {
      busy = false;
    }
  };
  const nudging = process.argv.includes('--nudge');
  if (nudging) {
    p.on('connect', () => {
      links += 1;
      void readvertise(false);
    });
    p.on('disconnect', () => (links = Math.max(0, links - 1)));
  }
  const nudge = nudging
    ? setInterval(() => {
        if (links === 0) void readvertise(true);
      }, 2000)
    : undefined;
  say({ event: 'ready' });
  const stop = (): void => {
    clearInterval(timer);
    clearInterval(nudge);
    void ad
      .stop()
      .catch(() => undefined)
      .then(() => p.close())
      .finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

void main().catch((e: unknown) => {
  say({ event: 'error', message: (e as Error).message });
  process.exit(1);
});
