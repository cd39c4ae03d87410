// The contract between the central conformance suite and a peer (a GATT server on hci1).
// Any peripheral implementation (BlueZ's example server, blekit's own peripheral) can be a
// peer if it serves the conformance service below and can switch advertising on and off.
import type { AdvertisingData } from '../../../src/core/index.js';

/** UUIDs of the conformance service: 0000XXXX-b1e0-4000-8000-626c656b6974 ('blekit'). */
export function conformanceUuid(n: number): string {
  return `0000${n.toString(16).padStart(4, '0')}-b1e0-4000-8000-626c656b6974`;
}

export const CONFORMANCE = {
  service: conformanceUuid(0xc000),
  /** read: READ_VALUE, honouring the read offset. */
  read: conformanceUuid(0xc001),
  /** read, write, write-without-response: reads return what was last written (offsets honoured). */
  echo: conformanceUuid(0xc002),
  /** notify: u32 LE sequence numbers 0, 1, 2, ... only when credited. */
  seq: conformanceUuid(0xc003),
  /** write: u16 LE N = send N more sequence values now; ff ff ff ff = restart at 0. */
  credits: conformanceUuid(0xc004),
} as const;

export const READ_VALUE = Buffer.from('blekit-conformance');

export interface ConformancePeer {
  readonly name: string;
  /** The peer controller's address (hci1 in the lab). */
  readonly address: string;
  /** The controller the peer serves on ('hci1'), powered off/on by the suite. */
  readonly hci: string;
  /** Registers the GATT database; advertising stays off. */
  start(): Promise<void>;
  advertise(on: boolean): Promise<void>;
  /** Stops advertising and serving; must leave the controller as found. */
  stop(): Promise<void>;
  /** Checks the advertising data the central parsed (throws an assertion error). */
  checkAdvertisement(ad: AdvertisingData, name: string | undefined): void;
}

export type PeerFactory = () => ConformancePeer;
