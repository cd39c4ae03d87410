export {
  BgapiBackend,
  type BgapiBackendOptions,
  type BgapiConnectOptions,
  type BgapiConnectionParameters,
  type BgapiScanOptions,
  type BgapiScanParameters,
} from './backend.js';
export { BgapiConnection, BGAPI_MTU } from './connection.js';
export { BgapiLink } from './link.js';
export {
  BLED112_PRODUCT_ID,
  BLED112_VENDOR_ID,
  findDongles,
  openSerialPort,
  type BgapiPort,
  type SerialOptions,
} from './transport.js';
/** The BGAPI wire codec: message tables, packet framing and the stream parser. */
export * as bgapiCodec from './codec/index.js';
