import Table from 'cli-table3';
import type { ScanResult } from '../central/index.js';
import { shortUuid, toHex, uuidName } from '../core/index.js';

interface Row {
  report: ScanResult;
  seen: number;
}

function services(r: ScanResult): string {
  return r.advertisement.serviceUuids
    .map((u) => {
      const name = uuidName(u);
      return name ? `${shortUuid(u)} (${name})` : shortUuid(u);
    })
    .join(', ');
}

function manufacturer(r: ScanResult): string {
  return [...r.advertisement.manufacturerData]
    .map(([id, data]) => `0x${id.toString(16).padStart(4, '0')}:${toHex(data)}`)
    .join(' ');
}

function clip(s: string, n: number): string {
  return s.length > n ? s.slice(0, n - 1) + '…' : s;
}

/**
 * The live scan table: one row per address (latest report wins), in the order devices were
 * first seen so rows do not jump around while RSSI changes.
 */
export class ScanTable {
  private readonly rows = new Map<string, Row>();

  update(r: ScanResult): void {
    const row = this.rows.get(r.address);
    if (row) {
      // A report without a name (e.g. an advertisement without its scan response) keeps the one we had.
      row.report = r.name === undefined && row.report.name ? { ...r, name: row.report.name } : r;
      row.seen++;
    } else {
      this.rows.set(r.address, { report: r, seen: 1 });
    }
  }

  get size(): number {
    return this.rows.size;
  }

  /** The table as text for a terminal `columns` wide. */
  render(columns = 100): string {
    const wide = Math.max(columns, 60);
    // Fixed columns take ~62 characters; services and manufacturer share the rest.
    const flexible = Math.max(12, Math.floor((wide - 62) / 2));
    const table = new Table({
      head: ['Address', 'Type', 'Name', 'RSSI', 'Services', 'Manufacturer', 'Seen'],
      style: { head: [], border: [], compact: true },
      wordWrap: false,
    });
    for (const { report: r, seen } of this.rows.values()) {
      table.push([
        r.address,
        r.addressType,
        clip(r.name ?? '', 16),
        r.rssi === undefined ? '' : String(r.rssi),
        clip(services(r), flexible),
        clip(manufacturer(r), flexible),
        String(seen),
      ]);
    }
    return table.toString();
  }
}
