// Cuts a TCP byte stream into SIP messages (RFC 3261 18.3: Content-Length is mandatory on
// streams and delimits the body) and recognises RFC 5626 3.5.1 keep-alives between messages:
// a double CRLF "ping" and a single CRLF "pong". Partial reads are buffered; several messages
// in one read all come out. Oversized headers or bodies are a FramingError: the caller must
// close the connection, since the stream can no longer be resynchronised.

export class FramingError extends Error {
  override readonly name = 'FramingError';
}

export type FrameEvent = { type: 'message'; data: Buffer } | { type: 'ping' } | { type: 'pong' };

export interface StreamFramerOptions {
  /** largest header section accepted (bytes) */
  maxHeaderBytes?: number;
  /** largest Content-Length accepted (bytes) */
  maxBodyBytes?: number;
  /**
   * Server side of a connection: a lone CRLF at the end of the buffer may be the first half of
   * a ping, so wait for more. The client side reports it as a pong at once.
   */
  expectPings?: boolean;
}

const CRLFCRLF = Buffer.from('\r\n\r\n');
const CONTENT_LENGTH_RE = /^(?:content-length|l)[ \t]*:[ \t]*(\S*)[ \t]*$/im;

export class StreamFramer {
  private buf: Buffer = Buffer.alloc(0);
  private readonly maxHeaderBytes: number;
  private readonly maxBodyBytes: number;
  private readonly expectPings: boolean;

  constructor(options: StreamFramerOptions = {}) {
    this.maxHeaderBytes = options.maxHeaderBytes ?? 16384;
    this.maxBodyBytes = options.maxBodyBytes ?? 1 << 20;
    this.expectPings = options.expectPings ?? false;
  }

  /** Bytes received but not yet part of a complete message. */
  get pending(): number {
    return this.buf.length;
  }

  /** Feed bytes; returns every complete message and keep-alive they finish. Throws FramingError. */
  push(chunk: Buffer): FrameEvent[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: FrameEvent[] = [];
    for (;;) {
      const b = this.buf;
      if (b.length === 0) break;
      if (b[0] === 0x0d || b[0] === 0x0a) {
        // RFC 5626 3.5.1: CRLFCRLF is a ping, CRLF a pong
        if (b.length >= 4 && b[0] === 0x0d && b[1] === 0x0a && b[2] === 0x0d && b[3] === 0x0a) {
          out.push({ type: 'ping' });
          this.buf = b.subarray(4);
          continue;
        }
        if (b.length >= 2 && b[0] === 0x0d && b[1] === 0x0a) {
          if (b.length === 2 && this.expectPings) break;
          if (b.length === 3 && b[2] === 0x0d) break;
          out.push({ type: 'pong' });
          this.buf = b.subarray(2);
          continue;
        }
        if (b.length === 1 && b[0] === 0x0d) break;
        // stray LF or CR: skip it (RFC 3261 7.5 allows empty lines before a start-line)
        this.buf = b.subarray(1);
        continue;
      }
      const end = b.indexOf(CRLFCRLF);
      if (end < 0) {
        if (b.length > this.maxHeaderBytes) throw new FramingError(`header section exceeds ${this.maxHeaderBytes} bytes`);
        break;
      }
      if (end > this.maxHeaderBytes) throw new FramingError(`header section exceeds ${this.maxHeaderBytes} bytes`);
      const head = b.toString('latin1', 0, end);
      // unfold so a folded Content-Length is still found (RFC 3261 7.3.1)
      const unfolded = head.replace(/\r\n[ \t]+/g, ' ');
      const matches = [...unfolded.matchAll(new RegExp(CONTENT_LENGTH_RE.source, 'gim'))].map((m) => m[1]);
      if (matches.length === 0) throw new FramingError('no Content-Length on a stream transport (RFC 3261 18.3)');
      if (matches.some((v) => v !== matches[0])) throw new FramingError('conflicting Content-Length values');
      if (!/^\d{1,10}$/.test(matches[0])) throw new FramingError(`invalid Content-Length "${matches[0]}"`);
      const len = Number(matches[0]);
      if (len > this.maxBodyBytes) throw new FramingError(`Content-Length ${len} exceeds ${this.maxBodyBytes}`);
      const total = end + 4 + len;
      if (b.length < total) break;
      out.push({ type: 'message', data: Buffer.from(b.subarray(0, total)) });
      this.buf = b.subarray(total);
    }
    return out;
  }
}
