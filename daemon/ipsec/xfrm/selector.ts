// struct xfrm_selector (56 bytes): which packets a policy (or SA) applies to.
import { decodeAddress, encodeAddress } from './address.js';
import { SELECTOR_LEN } from './constants.js';

export interface Selector {
  src: string;
  dst: string;
  /** IPPROTO_UDP, IPPROTO_TCP; 0: any */
  proto: number;
  /** 0 with proto 0: any port */
  sport: number;
  dport: number;
}

export function encodeSelector(s: Selector | undefined): Buffer {
  const b = Buffer.alloc(SELECTOR_LEN);
  if (!s) return b; // all zero: what iproute2 sends for an SA without "sel", the kernel fills in the family
  const d = encodeAddress(s.dst);
  const src = encodeAddress(s.src);
  d.bytes.copy(b, 0);
  src.bytes.copy(b, 16);
  const ports = s.proto !== 0;
  b.writeUInt16BE(s.dport, 32);
  b.writeUInt16LE(ports && s.dport ? 0xffff : 0, 34);
  b.writeUInt16BE(s.sport, 36);
  b.writeUInt16LE(ports && s.sport ? 0xffff : 0, 38);
  b.writeUInt16LE(d.family, 40);
  const full = d.family === 2 ? 32 : 128;
  b.writeUInt8(full, 42); // prefixlen_d
  b.writeUInt8(full, 43); // prefixlen_s
  b.writeUInt8(s.proto, 44);
  // ifindex 0, user 0
  return b;
}

export interface DecodedSelector extends Selector {
  family: number;
  prefixlenD: number;
  prefixlenS: number;
}

export function decodeSelector(b: Buffer): DecodedSelector {
  const family = b.readUInt16LE(40);
  return {
    dst: decodeAddress(b.subarray(0, 16), family),
    src: decodeAddress(b.subarray(16, 32), family),
    dport: b.readUInt16BE(32),
    sport: b.readUInt16BE(36),
    family,
    prefixlenD: b.readUInt8(42),
    prefixlenS: b.readUInt8(43),
    proto: b.readUInt8(44),
  };
}
