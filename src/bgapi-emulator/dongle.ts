import {
  BgapiStreamParser,
  type BgapiCommand,
  type CommandName,
} from '../backends/bgapi/codec/index.js';
import { HANDLERS } from './handlers/index.js';
import type { Handler } from './handlers/handler.js';
import { DongleState, type DongleEmulatorOptions } from './state.js';

export { EMULATED_VERSION, type DongleEmulatorOptions } from './state.js';

/**
 * A BLED112 as its host sees it, with the radio work done by a CentralBackend: commands in,
 * responses and events out, with the dongle's rules (one command at a time, system_boot
 * after a reset, one GAP procedure and one ATT procedure per connection at a time, ATT MTU
 * 23, long values in MTU-sized parts). Feed host bytes to receive(). Each BGAPI class's
 * commands are carried out by its module in handlers/.
 */
export class DongleEmulator {
  private readonly parser = new BgapiStreamParser('toDevice');
  private chain: Promise<void> = Promise.resolve();
  private readonly state: DongleState;
  private started = false;

  constructor(o: DongleEmulatorOptions) {
    this.state = new DongleState(o);
  }

  async start(): Promise<string> {
    const d = this.state;
    const info = await d.backend.start({ adapter: d.o.adapter, powerOn: true });
    d.address = info.address;
    this.started = true;
    return info.address;
  }

  async close(): Promise<void> {
    this.state.closed = true;
    await this.state.teardown();
    await this.state.backend.stop();
  }

  /** Bytes from the host. Commands are carried out one after another, in order. */
  receive(bytes: Buffer): void {
    for (const f of this.parser.push(bytes)) {
      if (f.kind !== 'command') {
        this.state.trace(`?? ignored ${f.kind} frame from host`);
        continue;
      }
      this.chain = this.chain.then(() =>
        this.command(f).catch((err: unknown) => this.state.trace(`!! ${f.name}: ${String(err)}`)),
      );
    }
  }

  private async command(c: BgapiCommand): Promise<void> {
    this.state.trace(`-> ${c.name}`);
    await (HANDLERS[c.name] as Handler<CommandName>)(this.state, c);
  }

  get isStarted(): boolean {
    return this.started;
  }
}
