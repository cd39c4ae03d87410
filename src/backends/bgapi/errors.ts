import {
  AttError,
  BackendError,
  BusyError,
  NotConnectedError,
  NotSupportedError,
  TimeoutError,
} from '../../core/index.js';
import { BgapiResult, describeResult, resultLayer } from './codec/index.js';

/** The typed error for a non-zero BGAPI result code. */
export function resultError(code: number, what: string): Error {
  const text = `${what}: ${describeResult(code)}`;
  if (resultLayer(code) === 'att') return new AttError(code & 0xff, what);
  switch (code) {
    case BgapiResult.wrongState:
      return new BusyError(text);
    case BgapiResult.notConnected:
      return new NotConnectedError(text);
    case BgapiResult.notImplemented:
    case BgapiResult.invalidCommand:
      return new NotSupportedError(text);
    case BgapiResult.timeout:
    case BgapiResult.connectionTimeout:
      return new TimeoutError(text);
    default:
      return new BackendError(text, { backend: 'bgapi' });
  }
}

export function checkResult(code: number, what: string): void {
  if (code !== 0) throw resultError(code, what);
}
