// Splits the bytes a modem sends into lines (ITU-T V.250 5.7.1: responses are framed by
// <CR><LF>, but modems and pseudo-terminals also send bare CR, bare LF or LF CR). Sans-I/O:
// bytes in, lines and prompts out. Control characters other than CR/LF are dropped (line noise
// after a modem reset); an over-long unterminated line is dropped whole, never buffered forever.

export type LineEvent =
  | { kind: 'line'; text: string }
  /** V.250 / 27.005 3.5.1: "> " asks for the second part of a command (e.g. +CMGS text) */
  | { kind: 'prompt' }
  /** something that cannot be a line: noise, or more than the limit without a terminator */
  | { kind: 'garbage'; bytes: number; reason: string };

export const MAX_LINE = 8192;

export class LineReader {
  #partial = '';
  #dropped = 0;

  /** Feed bytes; returns the complete lines (empty ones skipped) and prompts in order. */
  push(chunk: Buffer | string): LineEvent[] {
    const out: LineEvent[] = [];
    const text = typeof chunk === 'string' ? chunk : chunk.toString('latin1');
    for (const ch of text) {
      if (ch === '\r' || ch === '\n') {
        this.#endLine(out);
        continue;
      }
      const code = ch.charCodeAt(0);
      // keep printable ASCII and Latin-1; drop NUL, XON/XOFF, 0xFF fill and the like
      if (code < 0x20 || code === 0x7f || code === 0xff) {
        this.#dropped += 1;
        continue;
      }
      if (this.#partial.length >= MAX_LINE) {
        this.#dropped += 1;
        continue;
      }
      this.#partial += ch;
    }
    // a prompt has no terminator: "> " (or ">") alone at the start of a line
    if (this.#partial === '> ' || this.#partial === '>') {
      this.#partial = '';
      out.push({ kind: 'prompt' });
    }
    return out;
  }

  /** What is buffered without a terminator yet (for tests and diagnostics). */
  get pending(): string {
    return this.#partial;
  }

  /** Forget a half line (after a timeout, the rest of it would be meaningless). */
  reset(): void {
    this.#partial = '';
    this.#dropped = 0;
  }

  #endLine(out: LineEvent[]): void {
    const dropped = this.#dropped;
    this.#dropped = 0;
    if (this.#partial.length >= MAX_LINE) {
      out.push({ kind: 'garbage', bytes: this.#partial.length + dropped, reason: `line longer than ${MAX_LINE} characters` });
      this.#partial = '';
      return;
    }
    const line = this.#partial.trim();
    this.#partial = '';
    if (line === '') {
      if (dropped > 0) out.push({ kind: 'garbage', bytes: dropped, reason: 'control characters only' });
      return;
    }
    // more noise than text: not a line a modem meant to send
    if (dropped > 4 && dropped > line.length) {
      out.push({ kind: 'garbage', bytes: dropped + line.length, reason: 'mostly control characters' });
      return;
    }
    out.push({ kind: 'line', text: line });
  }
}
