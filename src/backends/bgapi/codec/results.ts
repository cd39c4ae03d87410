/**
 * BGAPI result codes (the u16 `result`/`reason` fields): 0 is success; the high byte says
 * whose error it is (0x01 BGAPI, 0x02 Bluetooth controller/HCI, 0x03 security manager,
 * 0x04 attribute protocol) and the low byte is that layer's own code.
 */
export const BgapiResult = {
  success: 0x0000,
  invalidParameter: 0x0180,
  wrongState: 0x0181,
  outOfMemory: 0x0182,
  notImplemented: 0x0183,
  invalidCommand: 0x0184,
  timeout: 0x0185,
  notConnected: 0x0186,
  flow: 0x0187,
  userAttribute: 0x0188,
  invalidLicenseKey: 0x0189,
  commandTooLong: 0x018a,
  outOfBonds: 0x018b,
  authenticationFailure: 0x0205,
  pinOrKeyMissing: 0x0206,
  connectionTimeout: 0x0208,
  connectionLimitExceeded: 0x0209,
  commandDisallowed: 0x020c,
  remoteUserTerminated: 0x0213,
  localHostTerminated: 0x0216,
  linkLayerResponseTimeout: 0x0222,
  connectionFailedToBeEstablished: 0x023e,
  smpUnspecified: 0x0308,
  attInvalidHandle: 0x0401,
  attNotFound: 0x040a,
  attNotLong: 0x040b,
  attInvalidOffset: 0x0407,
  attUnsupportedGroupType: 0x0410,
  smpPairingNotSupported: 0x0305,
} as const;

const NAMES = new Map<number, string>(Object.entries(BgapiResult).map(([k, v]) => [v, k]));

/** Whose error a result code is, from its high byte. */
export type ResultLayer = 'bgapi' | 'bluetooth' | 'smp' | 'att' | 'unknown';

/** The layer a result code comes from (0x01.. BGAPI, 0x02.. HCI, 0x03.. SMP, 0x04.. ATT). */
export function resultLayer(code: number): ResultLayer {
  switch (code >> 8) {
    case 0x01:
      return 'bgapi';
    case 0x02:
      return 'bluetooth';
    case 0x03:
      return 'smp';
    case 0x04:
      return 'att';
    default:
      return 'unknown';
  }
}

/** 'wrongState (0x0181)' style text for messages. */
export function describeResult(code: number): string {
  const hex = '0x' + code.toString(16).padStart(4, '0');
  const name = NAMES.get(code);
  if (name) return `${name} (${hex})`;
  if (resultLayer(code) === 'att')
    return `ATT error 0x${(code & 0xff).toString(16).padStart(2, '0')} (${hex})`;
  return `${resultLayer(code)} error ${hex}`;
}
