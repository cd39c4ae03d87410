// A blekit peripheral for the gateway command test: on adapter argv[2] it advertises (connectable,
// with its service UUID) and serves a readable, a writable and a notifying characteristic. It
// prints one JSON line per event: {"event":"ready"}, {"event":"write","hex":...},
// {"event":"subscribed"}, {"event":"unsubscribed"}. While subscribed it notifies a u32 LE counter
// every 200 ms.
import { Peripheral, type LocalCharacteristic } from '../../../src/peripheral/index.js';
import { PEER } from './peer-spec.js';

const say = (o: Record<string, unknown>): void =>
  void process.stdout.write(JSON.stringify(o) + '\n');

async function main(): Promise<void> {
  const adapter = process.argv[2] ?? 'hci1';
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
    say({ event: 'subscribed' });
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
  const ad = await p.advertise({ localName: 'blekit gw peer', serviceUuids: [PEER.service] });
  say({ event: 'ready' });
  const stop = (): void => {
    clearInterval(timer);
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
