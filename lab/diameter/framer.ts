// Splits a TCP byte stream into Diameter messages (RFC 6733 3: the header's length field).
import { DiameterDecodeError } from './errors.js';
import { HEADER_LENGTH } from './message.js';
import { peekMessageLength } from './codec.js';

/** Largest message accepted; a bigger length field is treated as stream corruption. */
export const MAX_MESSAGE_LENGTH = 1 << 20;

export class DiameterFramer {
  private pending: Buffer = Buffer.alloc(0);

  /** Appends bytes and returns every complete message now available (raw, not yet decoded). */
  push(chunk: Buffer): Buffer[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const out: Buffer[] = [];
    for (;;) {
      const length = peekMessageLength(this.pending);
      if (length === undefined) break;
      if (length < HEADER_LENGTH || length > MAX_MESSAGE_LENGTH) {
        // The stream cannot be resynchronised after a bad length: the caller must close it.
        throw new DiameterDecodeError('bad-message-length', `framed length ${length}`, 1);
      }
      if (this.pending.length < length) break;
      out.push(this.pending.subarray(0, length));
      this.pending = this.pending.subarray(length);
    }
    return out;
  }

  get bufferedBytes(): number {
    return this.pending.length;
  }
}
