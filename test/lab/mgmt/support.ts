/** Reading btmgmt's text output, to cross-check what blekit's mgmt client decodes. */
import { btmgmt } from '../../support/proc.js';

export interface BtmgmtInfo {
  addr: string;
  version: number;
  manufacturer: number;
  class: number;
  supported: string[];
  current: string[];
  name: string;
}

/** `btmgmt -i hciN info`, one controller. */
export async function btmgmtInfo(index: number): Promise<BtmgmtInfo> {
  const out = await btmgmt(['-i', `hci${index}`, 'info']);
  const m = /addr ([0-9A-F:]{17}) version (\d+) manufacturer (\d+) class 0x([0-9a-f]{6})/.exec(out);
  const settings = (label: string): string[] =>
    new RegExp(`${label} settings: (.*)`).exec(out)?.[1]?.trim().split(/\s+/).filter(Boolean) ?? [];
  const name = /\tname (.*)/.exec(out)?.[1] ?? '';
  if (!m) throw new Error(`cannot read btmgmt info:\n${out}`);
  return {
    addr: m[1] as string,
    version: Number(m[2]),
    manufacturer: Number(m[3]),
    class: parseInt(m[4] as string, 16),
    supported: settings('supported'),
    current: settings('current'),
    name: name.trim(),
  };
}

/** btmgmt spells two settings differently from blekit's names. */
const BTMGMT_SETTING: Record<string, string> = {
  'static-address': 'static-addr',
  'wideband-speech': 'wide-band-speech',
};

export function asBtmgmtSettings(names: readonly string[]): string[] {
  return names.map((n) => BTMGMT_SETTING[n] ?? n);
}
