/**
 * Highest controller index blekit accepts. The kernel's mgmt API and HCI sockets carry the
 * index in 16 bits, and mgmt reserves 0xFFFF for "no controller", so 0..65534 is every index a
 * controller can have (kernels hand out far smaller ones, lowest free first).
 */
export const MAX_ADAPTER_INDEX = 0xfffe;

// The kernel names controllers hci%d, so hciN never has leading zeros.
const HCI_NAME_RE = /^hci(0|[1-9][0-9]{0,4})$/;

/** True for 'hci0'..'hci65534', the names the kernel can give a controller. */
export function isAdapterName(s: unknown): s is string {
  if (typeof s !== 'string') return false;
  const m = HCI_NAME_RE.exec(s);
  return m !== null && Number(m[1]) <= MAX_ADAPTER_INDEX;
}

/** True for an integer controller index 0..MAX_ADAPTER_INDEX. */
export function isAdapterIndex(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= MAX_ADAPTER_INDEX;
}
