/** A stand-in for the kernel's mgmt socket: records commands, sends back what a test says. */
import { decodeCommand, encodeEvent, type DecodedCommand } from '../../../src/mgmt/frame.js';
import type { MgmtTransport } from '../../../src/mgmt/transport.js';

export class FakeKernel implements MgmtTransport {
  readonly sent: DecodedCommand[] = [];
  closed = false;
  failWrites = false;
  /** Called for each command; answer synchronously or later. */
  onCommand: (cmd: DecodedCommand) => void = () => {};
  private frameListeners: ((f: Buffer) => void)[] = [];
  private errorListeners: ((e: Error) => void)[] = [];

  write(frame: Buffer): void {
    if (this.failWrites) throw new Error('EIO');
    const cmd = decodeCommand(frame);
    this.sent.push(cmd);
    this.onCommand(cmd);
  }
  onFrame(l: (f: Buffer) => void): void {
    this.frameListeners.push(l);
  }
  onError(l: (e: Error) => void): void {
    this.errorListeners.push(l);
  }
  close(): void {
    this.closed = true;
  }

  deliver(frame: Buffer): void {
    for (const l of this.frameListeners) l(frame);
  }
  complete(code: number, index: number, status: number, data: Buffer = Buffer.alloc(0)): void {
    this.deliver(
      encodeEvent('CommandComplete', index, {
        commandOpcode: code,
        status,
        returnParameters: data,
      }),
    );
  }
  status(code: number, index: number, status: number): void {
    this.deliver(encodeEvent('CommandStatus', index, { commandOpcode: code, status }));
  }
  breakSocket(e: Error): void {
    for (const l of this.errorListeners) l(e);
  }
}
