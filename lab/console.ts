/**
 * Splits the VM's serial console into boot progress (before the start marker),
 * the command's own output (passed through byte for byte) and its exit status
 * (the exit marker). Pure, so it is unit tested without a VM.
 */
export const MARK = '@@blekit-lab ';
const EXIT_RE = /@@blekit-lab exit (\d+)\r?\n/;
/** The longest tail that could still be the start of an exit marker. */
const HOLD = MARK.length + 16;

export interface ConsoleHandlers {
  progress(message: string): void;
  fatal(message: string): void;
  bootLine(line: string): void;
  output(chunk: string): void;
  exit(code: number): void;
}

export class ConsoleParser {
  private started = false;
  private done = false;
  private pending = '';

  constructor(private readonly h: ConsoleHandlers) {}

  /** Feeds console text (latin1, one char per byte). */
  push(chunk: string): void {
    if (this.done) return;
    this.pending += chunk;
    if (!this.started) this.readBootLines();
    if (!this.started) return;
    const m = EXIT_RE.exec(this.pending);
    if (m) {
      this.emit(m.index);
      this.done = true;
      this.pending = '';
      this.h.exit(Number(m[1]));
      return;
    }
    this.emit(this.pending.length - Math.min(this.pending.length, HOLD));
  }

  /** Releases held-back output once the console has gone quiet. */
  flush(): void {
    if (this.started && !this.done && !this.pending.includes('@@')) this.emit(this.pending.length);
  }

  get finished(): boolean {
    return this.done;
  }

  private readBootLines(): void {
    let nl: number;
    while ((nl = this.pending.indexOf('\n')) >= 0) {
      const line = this.pending.slice(0, nl).replace(/\r$/, '');
      this.pending = this.pending.slice(nl + 1);
      const at = line.indexOf(MARK);
      if (at < 0) {
        this.h.bootLine(line);
        continue;
      }
      const body = line.slice(at + MARK.length).trimEnd();
      if (body === 'start') {
        this.started = true;
        return;
      }
      if (body.startsWith('progress ')) this.h.progress(body.slice('progress '.length));
      else if (body.startsWith('fatal ')) this.h.fatal(body.slice('fatal '.length));
    }
  }

  private emit(upTo: number): void {
    if (upTo <= 0) return;
    this.h.output(this.pending.slice(0, upTo));
    this.pending = this.pending.slice(upTo);
  }
}
