// What the notify-loop bench's central and its two peripherals agree on. Each peripheral
// serves one service with a notify-only and an indicate-only characteristic (BlueZ's client
// enables indications only where notifications are not offered); a subscription starts one
// loop of COUNT values, sequence numbers as u32 LE, and the peripheral then prints
// "done <characteristic uuid> <loop ms> <path>".

export const COUNT = Number(process.env.BLEKIT_NOTIFY_COUNT ?? 300);

const uuid = (n: number): string =>
  `5e1f${n.toString(16).padStart(4, '0')}-0000-4000-8000-00805f9b34fb`;

export const PEERS = {
  blekit: { service: uuid(0x0100), notify: uuid(0x0101), indicate: uuid(0x0102) },
  /** The same process, values as PropertiesChanged signals (fastNotify: false). */
  'blekit-signal': { service: uuid(0x0300), notify: uuid(0x0301), indicate: uuid(0x0302) },
  'python-dbus': { service: uuid(0x0200), notify: uuid(0x0201), indicate: uuid(0x0202) },
} as const;

export type PeerName = keyof typeof PEERS;
export type Kind = 'notify' | 'indicate';
