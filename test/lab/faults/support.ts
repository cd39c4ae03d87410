// Shared pieces of the fault suite: the dbus-python fault peer (fault_peer.py, independent of
import { after, before } from 'node:test';
// blekit), its UUIDs, and the fault table each case adds a row to.
import { fileURLToPath } from 'node:url';
import { DbusBackend } from '../../../src/backends/dbus/index.js';
import { Central, type ConnectOptions, type Device } from '../../../src/central/index.js';
import { assertInLab, HCI1_ADDR, run } from '../../support/proc.js';
import { freshStack } from '../../support/stack.js';
import { connectWhileAdvertising } from '../central/advertised-connect.js';
import { conformanceUuid } from '../central/peer.js';
import { linePeer, type LinePeer } from '../central/peers/line-peer.js';
import { forgetPeers } from '../peripheral/support.js';

// dist/test/lab/faults -> the .py beside the TypeScript sources.
const SCRIPT = fileURLToPath(new URL('../../../../test/lab/faults/fault_peer.py', import.meta.url));

export const FAULT = {
  service: conformanceUuid(0xf000),
  hangRead: conformanceUuid(0xf001),
  hangWrite: conformanceUuid(0xf002),
  seq: conformanceUuid(0xf003),
  seq2: conformanceUuid(0xf004),
  control: conformanceUuid(0xf005),
  echo: conformanceUuid(0xf006),
} as const;

/** The fault peer on `hci`; `noNotify` leaves both sequence characteristics out. */
export function faultPeer(hci = 'hci1', address = HCI1_ADDR, noNotify = false): LinePeer {
  return linePeer({
    name: `fault-peer(${hci})`,
    address,
    hci,
    argv: ['/usr/bin/python3', '-u', SCRIPT, hci, ...(noNotify ? ['--no-notify'] : [])],
    checkAdvertisement: () => undefined,
  });
}

export interface FaultRow {
  case: string;
  happened: string;
  /** ms from the fault to the typed error (undefined: no error was due). */
  typedErrorMs?: number;
  recovered: boolean | string;
}

/** One table line a row, "# fault | ..." so the suite's output can be grepped into the note. */
export function reportFault(row: FaultRow): void {
  const ms = row.typedErrorMs === undefined ? '-' : String(Math.round(row.typedErrorMs));
  const rec = typeof row.recovered === 'string' ? row.recovered : row.recovered ? 'yes' : 'no';
  console.log(`# fault | ${row.case} | ${row.happened} | ${ms} | ${rec}`);
}

/** Resolves with the rejection of `p` and the ms it took from `t0`; fails if `p` resolves. */
export async function rejection(p: Promise<unknown>, t0: number): Promise<[Error, number]> {
  try {
    await p;
  } catch (e) {
    return [e as Error, Date.now() - t0];
  }
  throw new Error('expected a rejection, the operation succeeded');
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `check` every 50 ms until true; throws `what` after `ms`. */
export async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(50);
  }
}

/**
 * Starts a fresh bluetoothd when the one the lab runs has died (seen once: a kernel oops in
 * hci_chan_del took it down), so a fault here does not sink the lab files that follow.
 */
export async function ensureBluetoothd(): Promise<void> {
  const r = await run('pidof', ['bluetoothd']);
  if (r.stdout.trim() === '') {
    console.log('# bluetoothd is gone: starting a fresh stack for the files that follow');
    await freshStack();
  }
}

/** blekit's central on hci0 connected to `peer` (started here; advertising only to connect). */
export async function connectToPeer(
  peer: LinePeer,
  options: Pick<ConnectOptions, 'autoReconnect'> = {},
): Promise<{ central: Central; device: Device }> {
  assertInLab();
  await forgetPeers();
  await peer.start();
  const central = new Central({ backend: new DbusBackend(), adapter: 'hci0' });
  await central.start();
  const device = await connectWhileAdvertising(central, peer, { timeoutMs: 60_000, ...options });
  await device.discover();
  return { central, device };
}

/** Undoes connectToPeer(), whatever state the case left behind. */
export async function teardown(
  peer: LinePeer,
  rig: { central?: Central; device?: Device } | undefined,
): Promise<void> {
  await rig?.device?.disconnect().catch(() => undefined);
  await rig?.central?.stop().catch(() => undefined);
  await peer.stop().catch(() => undefined);
  await ensureBluetoothd();
  await forgetPeers();
}

/**
 * connectToPeer() before this file's tests (then `onReady`) and teardown() after them; `device`
 * once connected.
 */
export function connectedRig(
  peer: () => LinePeer,
  options: Pick<ConnectOptions, 'autoReconnect'> = {},
  onReady: (device: Device) => unknown = () => undefined,
): { readonly device: Device } {
  let rig: { central: Central; device: Device } | undefined;
  // One hook: node:test does not wait for one top-level before() to end before the next starts.
  before(async () => {
    rig = await connectToPeer(peer(), options);
    await onReady(rig.device);
  });
  after(() => teardown(peer(), rig));
  return {
    get device(): Device {
      if (!rig) throw new Error('not connected (before() failed)');
      return rig.device;
    },
  };
}
