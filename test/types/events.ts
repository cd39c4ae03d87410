// Type-level tests: compiled by `npm run build` (tsc), never run. Each `@ts-expect-error` line
// must fail to type-check; if a change makes one of them compile (an event map gone loose, a
// dispose method removed), tsc reports the unused directive and the build fails.
import type { Central, Device, Mgmt, Peripheral, ScanResult } from '../../src/index.js';

export async function eventMaps(central: Central, device: Device, p: Peripheral, m: Mgmt) {
  central.on('discover', (r: ScanResult) => r.address);
  central.on('scanStop', () => undefined);
  // @ts-expect-error misspelt event name
  central.on('discver', () => undefined);
  // @ts-expect-error wrong listener parameter type
  central.on('discover', (r: string) => r);
  // @ts-expect-error scanStart carries nothing, so no listener parameter
  central.on('scanStart', (x: number) => x);

  device.on('disconnect', (reason) => reason satisfies 'local' | 'remote' | 'adapter' | 'unknown');
  device.on('reconnectFailed', (e: Error, attempt: number) => [e, attempt]);
  device.on('subscriptionLost', (e) => [e.characteristic, e.service]);
  // @ts-expect-error misspelt event name
  device.once('disconected', () => undefined);
  // @ts-expect-error wrong listener parameter type
  device.on('reconnectFailed', (e: Error, attempt: string) => [e, attempt]);
  // @ts-expect-error Device never emits 'error'
  device.on('error', () => undefined);

  p.on('connect', (d) => d.address);
  // @ts-expect-error misspelt event name
  p.on('conect', () => undefined);
  // @ts-expect-error wrong listener parameter type
  p.on('handlerError', (e: unknown, where: number) => [e, where]);

  m.on('DeviceFound', (ev) => ev.params.address);
  // @ts-expect-error misspelt event name
  m.on('DeviceFund', () => undefined);
  // @ts-expect-error wrong listener parameter type
  m.on('decodeError', (e: Error, frame: string) => [e, frame]);
}

export async function disposal(make: () => Central, connect: () => Promise<Device>) {
  await using central = make();
  await using device = await connect();
  await using p = {} as Peripheral;
  // @ts-expect-error a plain object is not AsyncDisposable
  await using nothing = { close() {} };
  return [central, device, p, nothing];
}

export async function mgmtDisposal(open: () => Promise<Mgmt>) {
  using mgmt = await open();
  return mgmt;
}
