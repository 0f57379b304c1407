// RTP fixed header (RFC 3550 5.1): V=2, P, X, CC, M, PT, sequence number, timestamp, SSRC, then
// CSRCs, an optional header extension (5.3.1) and padding (P: the last octet counts the padding).

export interface RtpPacket {
  payloadType: number;
  marker: boolean;
  sequence: number;
  timestamp: number;
  ssrc: number;
  payload: Buffer;
}

export class RtpError extends Error {
  override name = 'RtpError';
}

export function encodeRtp(p: RtpPacket): Buffer {
  if (!Number.isInteger(p.payloadType) || p.payloadType < 0 || p.payloadType > 127) throw new RtpError(`payload type ${p.payloadType} out of range`);
  const head = Buffer.alloc(12);
  head[0] = 0x80; // V=2, no padding, no extension, no CSRC
  head[1] = (p.marker ? 0x80 : 0) | p.payloadType;
  head.writeUInt16BE(p.sequence & 0xffff, 2);
  head.writeUInt32BE(p.timestamp >>> 0, 4);
  head.writeUInt32BE(p.ssrc >>> 0, 8);
  return Buffer.concat([head, p.payload]);
}

export function decodeRtp(b: Buffer): RtpPacket {
  if (b.length < 12) throw new RtpError(`${b.length} octets: shorter than an RTP header`);
  const version = b[0]! >> 6;
  if (version !== 2) throw new RtpError(`RTP version ${version}`);
  const padding = (b[0]! & 0x20) !== 0;
  const extension = (b[0]! & 0x10) !== 0;
  let offset = 12 + 4 * (b[0]! & 0x0f);
  if (extension) {
    if (b.length < offset + 4) throw new RtpError('truncated header extension');
    offset += 4 + 4 * b.readUInt16BE(offset + 2);
  }
  let end = b.length;
  if (padding) end -= b[b.length - 1]!;
  if (offset > end) throw new RtpError('header, extension and padding longer than the packet');
  return {
    payloadType: b[1]! & 0x7f,
    marker: (b[1]! & 0x80) !== 0,
    sequence: b.readUInt16BE(2),
    timestamp: b.readUInt32BE(4),
    ssrc: b.readUInt32BE(8),
    payload: b.subarray(offset, end),
  };
}
