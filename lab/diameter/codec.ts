// Diameter encoder/decoder (RFC 6733 3 header, 4.1 AVP header, 4.4 Grouped). Sans-I/O:
// buffers in, buffers out. Malformed input raises DiameterDecodeError, never a partial result.
import { DiameterDecodeError } from './errors.js';
import {
  AVP_FLAG_MANDATORY, AVP_FLAG_PROTECTED, AVP_FLAG_VENDOR, DIAMETER_VERSION, FLAG_ERROR,
  FLAG_PROXIABLE, FLAG_REQUEST, FLAG_RETRANSMITTED, HEADER_LENGTH,
  type Avp, type DiameterMessage,
} from './message.js';

const MAX_24 = 0xffffff;

function padded(length: number): number {
  return (length + 3) & ~3;
}

export function encodeAvp(avp: Avp): Buffer {
  const headerLength = avp.vendorId === undefined ? 8 : 12;
  const length = headerLength + avp.data.length;
  if (length > MAX_24) throw new RangeError(`AVP ${avp.code} too long (${length} bytes)`);
  const out = Buffer.alloc(padded(length)); // RFC 6733 4.1: padding bytes are zero
  out.writeUInt32BE(avp.code >>> 0, 0);
  let flags = 0;
  if (avp.vendorId !== undefined) flags |= AVP_FLAG_VENDOR;
  if (avp.mandatory) flags |= AVP_FLAG_MANDATORY;
  if (avp.protected) flags |= AVP_FLAG_PROTECTED;
  out.writeUInt8(flags, 4);
  out.writeUIntBE(length, 5, 3);
  if (avp.vendorId !== undefined) out.writeUInt32BE(avp.vendorId >>> 0, 8);
  avp.data.copy(out, headerLength);
  return out;
}

export function encodeAvps(avps: readonly Avp[]): Buffer {
  return Buffer.concat(avps.map(encodeAvp));
}

export function encodeMessage(msg: DiameterMessage): Buffer {
  const body = encodeAvps(msg.avps);
  const length = HEADER_LENGTH + body.length;
  if (length > MAX_24) throw new RangeError(`Diameter message too long (${length} bytes)`);
  const header = Buffer.alloc(HEADER_LENGTH);
  header.writeUInt8(DIAMETER_VERSION, 0);
  header.writeUIntBE(length, 1, 3);
  let flags = 0;
  if (msg.request) flags |= FLAG_REQUEST;
  if (msg.proxiable) flags |= FLAG_PROXIABLE;
  if (msg.error) flags |= FLAG_ERROR;
  if (msg.retransmitted) flags |= FLAG_RETRANSMITTED;
  header.writeUInt8(flags, 4);
  header.writeUIntBE(msg.commandCode, 5, 3);
  header.writeUInt32BE(msg.applicationId >>> 0, 8);
  header.writeUInt32BE(msg.hopByHop >>> 0, 12);
  header.writeUInt32BE(msg.endToEnd >>> 0, 16);
  return Buffer.concat([header, body]);
}

/**
 * Decodes a sequence of AVPs filling `buf` exactly (a message body or a Grouped value).
 * `base` is the offset of `buf` in the outer input, for error positions.
 */
export function decodeAvps(buf: Buffer, base = 0): Avp[] {
  const avps: Avp[] = [];
  let pos = 0;
  while (pos < buf.length) {
    if (buf.length - pos < 8) {
      throw new DiameterDecodeError('truncated-avp', `${buf.length - pos} bytes left, an AVP header needs 8`, base + pos);
    }
    const code = buf.readUInt32BE(pos);
    const flags = buf.readUInt8(pos + 4);
    const length = buf.readUIntBE(pos + 5, 3);
    const hasVendor = (flags & AVP_FLAG_VENDOR) !== 0;
    const headerLength = hasVendor ? 12 : 8;
    if (length < headerLength) {
      throw new DiameterDecodeError('bad-avp-length', `AVP ${code} length ${length} < header ${headerLength}`, base + pos);
    }
    if (pos + length > buf.length) {
      throw new DiameterDecodeError('truncated-avp', `AVP ${code} length ${length} overruns ${buf.length - pos} bytes left`, base + pos);
    }
    const avp: Avp = {
      code,
      mandatory: (flags & AVP_FLAG_MANDATORY) !== 0,
      data: Buffer.from(buf.subarray(pos + headerLength, pos + length)),
    };
    if (hasVendor) avp.vendorId = buf.readUInt32BE(pos + 8);
    if (flags & AVP_FLAG_PROTECTED) avp.protected = true;
    avps.push(avp);
    // RFC 6733 4.1: AVPs are padded to 32 bits and the padding counts in the enclosing length.
    // A Grouped value may end with its last inner AVP unpadded (its own padding pads it).
    pos += Math.min(padded(length), buf.length - pos);
  }
  return avps;
}

/** Length of the message whose header starts `buf`, or undefined when fewer than 4 bytes are there. */
export function peekMessageLength(buf: Buffer): number | undefined {
  if (buf.length < 4) return undefined;
  return buf.readUIntBE(1, 3);
}

export function decodeMessage(buf: Buffer): DiameterMessage {
  if (buf.length < HEADER_LENGTH) {
    throw new DiameterDecodeError('truncated-header', `${buf.length} bytes, the header needs ${HEADER_LENGTH}`, 0);
  }
  const version = buf.readUInt8(0);
  if (version !== DIAMETER_VERSION) {
    throw new DiameterDecodeError('unsupported-version', `version ${version}, expected ${DIAMETER_VERSION}`, 0);
  }
  const length = buf.readUIntBE(1, 3);
  // RFC 6733 3: the length includes the header and padding, so it is a multiple of 4
  if (length < HEADER_LENGTH || length % 4 !== 0 || length !== buf.length) {
    throw new DiameterDecodeError('bad-message-length', `header says ${length} bytes, have ${buf.length}`, 1);
  }
  const flags = buf.readUInt8(4);
  const msg: DiameterMessage = {
    commandCode: buf.readUIntBE(5, 3),
    applicationId: buf.readUInt32BE(8),
    request: (flags & FLAG_REQUEST) !== 0,
    proxiable: (flags & FLAG_PROXIABLE) !== 0,
    error: (flags & FLAG_ERROR) !== 0,
    hopByHop: buf.readUInt32BE(12),
    endToEnd: buf.readUInt32BE(16),
    avps: decodeAvps(buf.subarray(HEADER_LENGTH), HEADER_LENGTH),
  };
  if (flags & FLAG_RETRANSMITTED) msg.retransmitted = true;
  return msg;
}
