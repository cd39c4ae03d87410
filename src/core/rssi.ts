/**
 * HCI's "RSSI not available" (Core spec Vol 4 Part E, LE Advertising Report and Read RSSI).
 * Controllers, btvirt among them, put it where a dBm value goes; it is not a signal strength.
 */
export const RSSI_NOT_AVAILABLE = 127;

/** A controller's RSSI as the API reports it: undefined when absent or "not available". */
export function rssiOrUndefined(rssi: number | undefined): number | undefined {
  return rssi === undefined || rssi === RSSI_NOT_AVAILABLE || !Number.isFinite(rssi)
    ? undefined
    : rssi;
}

/**
 * The other way, for emulated controllers: an absent RSSI becomes the "not available" byte,
 * anything else an integer in HCI's range of real readings, -127..20 dBm.
 */
export function rssiToHci(rssi: number | undefined): number {
  const v = rssiOrUndefined(rssi);
  return v === undefined ? RSSI_NOT_AVAILABLE : Math.max(-127, Math.min(20, Math.round(v)));
}
