import {
  encodeAdvertisingData,
  normalizeAddress,
  rssiToHci,
  splitAdStructures,
} from '../../core/index.js';
import type { ScanResult } from '../../central/types.js';
import {
  BgapiResult,
  ConnectionStatusFlag,
  GapAddressType,
  NO_BOND,
  ScanPacketType,
  type CommandParams,
} from '../../backends/bgapi/codec/index.js';
import { errorResult, MAX_CONNECTIONS, type DongleState, type Link } from '../state.js';
import type { ClassHandlers } from './handler.js';

const CONNECT_ATTEMPT_MS = 30_000;

async function discover(d: DongleState, mode: number): Promise<void> {
  if (mode > 2) return d.respond('gap_discover', { result: BgapiResult.invalidParameter });
  if (d.scanning || d.connecting)
    return d.respond('gap_discover', { result: BgapiResult.wrongState });
  d.scanning = true;
  try {
    // A stack that only scans actively (BlueZ over D-Bus) still serves a passive host: the
    // scan response packets are simply not passed on.
    const active = d.scanParams.active || !d.backend.capabilities.passiveScan;
    await d.backend.startScan({ active }, (r) => report(d, r));
  } catch (err) {
    d.scanning = false;
    return d.respond('gap_discover', { result: errorResult(err, BgapiResult.wrongState) });
  }
  d.respond('gap_discover', { result: 0 });
}

/** One scan result as the advertisement (up to 31 bytes) and scan response packets. */
function report(d: DongleState, r: ScanResult): void {
  if (!d.scanning) return;
  if (r.rssi !== undefined) d.lastRssi.set(r.address, r.rssi);
  let data: Buffer;
  try {
    data = encodeAdvertisingData(r.advertisement);
  } catch {
    return;
  }
  // What fits goes in the advertisement (31 bytes), the rest in one scan response. BlueZ
  // merges what it heard, so the rest can exceed 31 bytes; BGAPI's field allows 255, and a
  // structure that does not fit is left out whole (a cut one would spoil the packet).
  // An active scan of a connectable (scannable) advertiser always gets a scan response,
  // empty when there is nothing for it: the host must not keep an older one's fields.
  const packets: Buffer[][] = [[], []];
  const room = [31, 255];
  for (const s of splitAdStructures(data)) {
    const bytes = Buffer.concat([Buffer.from([s.data.length + 1, s.type]), s.data]);
    const i = room.findIndex((left) => bytes.length <= left);
    if (i < 0) continue;
    (packets[i] as Buffer[]).push(bytes);
    (room[i] as number) -= bytes.length;
  }
  const bond = d.bonds.indexOf(r.address);
  packets.forEach((p, i) => {
    if (i > 0 && !d.scanParams.active) return;
    d.event('gap_scan_response', {
      rssi: rssiToHci(r.rssi),
      packetType: i === 0 ? ScanPacketType.connectable : ScanPacketType.scanResponse,
      sender: r.address,
      addressType: GapAddressType[r.addressType],
      bond: bond >= 0 ? bond : NO_BOND,
      data: Buffer.concat(p),
    });
  });
}

async function connectDirect(
  d: DongleState,
  p: CommandParams<'gap_connect_direct'>,
): Promise<void> {
  if (d.scanning || d.connecting) {
    return d.respond('gap_connect_direct', { result: BgapiResult.wrongState, connectionHandle: 0 });
  }
  let handle = 0;
  while (d.links.has(handle)) handle++;
  if (handle >= MAX_CONNECTIONS) {
    return d.respond('gap_connect_direct', {
      result: BgapiResult.connectionLimitExceeded,
      connectionHandle: 0,
    });
  }
  const address = normalizeAddress(p.address);
  const controller = new AbortController();
  d.connecting = { controller, address };
  const l: Link = {
    handle,
    address,
    addressType: p.addrType === GapAddressType.random ? 'random' : 'public',
    busy: false,
    cccd: new Map(),
    prepared: [],
    params: { interval: p.connIntervalMax, timeout: p.timeout, latency: p.latency },
    localDisconnect: false,
    encrypted: false,
  };
  d.links.set(handle, l);
  d.respond('gap_connect_direct', { result: 0, connectionHandle: handle });
  // Like the dongle, keep trying until connected or told to stop (gap_end_procedure).
  void (async () => {
    while (!controller.signal.aborted) {
      try {
        l.conn = await d.backend.connect(
          address,
          {
            addressType: l.addressType,
            timeoutMs: CONNECT_ATTEMPT_MS,
            signal: controller.signal,
            retries: 1,
          },
          {
            onDisconnect: (reason) => d.dropLink(l, reason),
            onServicesChanged: () => (l.table = undefined),
          },
        );
        break;
      } catch (err) {
        d.trace(`!! connect ${address}: ${String(err)}`);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    if (d.connecting?.controller === controller) d.connecting = undefined;
    if (!l.conn || controller.signal.aborted) {
      if (l.conn) await l.conn.disconnect().catch(() => undefined);
      if (d.links.get(handle) === l) d.links.delete(handle);
      return;
    }
    d.status(l, ConnectionStatusFlag.completed);
  })();
}

const notImplemented = BgapiResult.notImplemented;

/** The GAP class: scanning and connecting. The emulator is a central: it does not advertise. */
export const gap: ClassHandlers<'gap'> = {
  gap_set_privacy_flags: (d, c) => d.respond(c.name, {}),
  // "Off" is what a central asks for; anything else would need advertising.
  gap_set_mode: (d, c) =>
    d.respond(c.name, {
      result: c.params.discover === 0 && c.params.connect === 0 ? 0 : notImplemented,
    }),
  gap_set_scan_parameters: (d, c) => {
    if (d.scanning || d.connecting) return d.respond(c.name, { result: BgapiResult.wrongState });
    const { scanWindow, scanInterval } = c.params;
    if (scanWindow > scanInterval || scanInterval < 4 || scanInterval > 0x4000) {
      return d.respond(c.name, { result: BgapiResult.invalidParameter });
    }
    d.scanParams = { active: c.params.active === 1 };
    d.respond(c.name, { result: 0 });
  },
  gap_set_filtering: (d, c) => d.respond(c.name, { result: 0 }),
  gap_discover: (d, c) => discover(d, c.params.mode),
  gap_connect_direct: (d, c) => connectDirect(d, c.params),
  gap_end_procedure: async (d, c) => {
    if (d.connecting) {
      d.connecting.controller.abort();
      d.connecting = undefined;
      return d.respond(c.name, { result: 0 });
    }
    if (!d.scanning) return d.respond(c.name, { result: BgapiResult.wrongState });
    d.scanning = false;
    await d.backend.stopScan().catch(() => undefined);
    d.respond(c.name, { result: 0 });
  },
  gap_connect_selective: (d, c) =>
    d.respond(c.name, { result: notImplemented, connectionHandle: 0 }),
  gap_set_adv_parameters: (d, c) => d.respond(c.name, { result: notImplemented }),
  gap_set_adv_data: (d, c) => d.respond(c.name, { result: notImplemented }),
  gap_set_directed_connectable_mode: (d, c) => d.respond(c.name, { result: notImplemented }),
};
