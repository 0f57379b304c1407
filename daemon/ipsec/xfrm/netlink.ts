// Netlink framing (RFC 3549, linux/netlink.h): nlmsghdr, attributes (nlattr), NLMSG_ERROR.
import { NLMSG_ERROR, NLMSG_HDRLEN } from './constants.js';

export const align4 = (n: number): number => (n + 3) & ~3;

export interface NetlinkHeader {
  type: number;
  flags: number;
  seq: number;
  pid: number;
}

export interface NetlinkMessage extends NetlinkHeader {
  /** the payload after the 16-byte header */
  payload: Buffer;
}

/** One netlink message: header + payload (+ padding). pid 0: the kernel fills in the sender. */
export function buildMessage(type: number, flags: number, seq: number, parts: Buffer[]): Buffer {
  const payload = Buffer.concat(parts);
  const len = NLMSG_HDRLEN + payload.length;
  const msg = Buffer.alloc(align4(len));
  msg.writeUInt32LE(len, 0);
  msg.writeUInt16LE(type, 4);
  msg.writeUInt16LE(flags, 6);
  msg.writeUInt32LE(seq >>> 0, 8);
  msg.writeUInt32LE(0, 12);
  payload.copy(msg, NLMSG_HDRLEN);
  return msg;
}

/** An nlattr: len, type, value, padded to 4. */
export function buildAttribute(type: number, value: Buffer): Buffer {
  const len = 4 + value.length;
  const a = Buffer.alloc(align4(len));
  a.writeUInt16LE(len, 0);
  a.writeUInt16LE(type, 2);
  value.copy(a, 4);
  return a;
}

export class NetlinkParseError extends Error {}

/** Splits a datagram into its netlink messages. */
export function parseMessages(data: Buffer): NetlinkMessage[] {
  const out: NetlinkMessage[] = [];
  let off = 0;
  while (off + NLMSG_HDRLEN <= data.length) {
    const len = data.readUInt32LE(off);
    if (len < NLMSG_HDRLEN || off + len > data.length) throw new NetlinkParseError(`bad nlmsg_len ${len} at offset ${off} of ${data.length}`);
    out.push({
      type: data.readUInt16LE(off + 4),
      flags: data.readUInt16LE(off + 6),
      seq: data.readUInt32LE(off + 8),
      pid: data.readUInt32LE(off + 12),
      payload: data.subarray(off + NLMSG_HDRLEN, off + len),
    });
    off += align4(len);
  }
  return out;
}

/** Attributes after a fixed-size struct: type → value (the last of each type wins; XFRM has no repeats we read). */
export function parseAttributes(data: Buffer): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  let off = 0;
  while (off + 4 <= data.length) {
    const len = data.readUInt16LE(off);
    if (len < 4 || off + len > data.length) throw new NetlinkParseError(`bad nla_len ${len} at offset ${off}`);
    out.set(data.readUInt16LE(off + 2) & 0x3fff, data.subarray(off + 4, off + len));
    off += align4(len);
  }
  return out;
}

export interface NetlinkErrorReply {
  /** 0 is an acknowledgement; otherwise the positive errno */
  errno: number;
  /** the header of the request it answers */
  request: NetlinkHeader;
}

/** NLMSG_ERROR: int error (negative errno, or 0 for an ACK) + the request's nlmsghdr. */
export function parseError(msg: NetlinkMessage): NetlinkErrorReply {
  if (msg.type !== NLMSG_ERROR || msg.payload.length < 4 + NLMSG_HDRLEN) throw new NetlinkParseError('not an NLMSG_ERROR');
  const p = msg.payload;
  return {
    errno: Math.abs(p.readInt32LE(0)),
    request: { type: p.readUInt16LE(8), flags: p.readUInt16LE(10), seq: p.readUInt32LE(12), pid: p.readUInt32LE(16) },
  };
}
