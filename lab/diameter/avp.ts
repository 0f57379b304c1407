// Typed AVP constructors and readers (RFC 6733 4.2 basic formats, 4.3 Address, 4.4 Grouped).
import { isIP } from 'node:net';
import { decodeAvps, encodeAvps } from './codec.js';
import { DiameterAvpError, DiameterDecodeError } from './errors.js';
import type { Avp } from './message.js';

export interface AvpKey {
  code: number;
  vendorId?: number;
}

function base(key: AvpKey, data: Buffer, mandatory: boolean): Avp {
  const avp: Avp = { code: key.code, mandatory, data };
  if (key.vendorId !== undefined) avp.vendorId = key.vendorId;
  return avp;
}

export function unsigned32Avp(key: AvpKey, value: number, mandatory = true): Avp {
  const data = Buffer.alloc(4);
  data.writeUInt32BE(value >>> 0);
  return base(key, data, mandatory);
}

export function utf8Avp(key: AvpKey, value: string, mandatory = true): Avp {
  return base(key, Buffer.from(value, 'utf8'), mandatory);
}

export function octetAvp(key: AvpKey, value: Buffer, mandatory = true): Avp {
  return base(key, value, mandatory);
}

export function groupedAvp(key: AvpKey, avps: readonly Avp[], mandatory = true): Avp {
  return base(key, encodeAvps(avps), mandatory);
}

/** RFC 6733 4.3.1 Address: 2-byte address family (1 IPv4, 2 IPv6) then the address. */
export function addressAvp(key: AvpKey, ip: string, mandatory = true): Avp {
  const family = isIP(ip);
  if (family === 4) {
    return base(key, Buffer.from([0, 1, ...ip.split('.').map(Number)]), mandatory);
  }
  if (family === 6) {
    return base(key, Buffer.concat([Buffer.from([0, 2]), ipv6Bytes(ip)]), mandatory);
  }
  throw new RangeError(`not an IP address: ${ip}`);
}

function ipv6Bytes(ip: string): Buffer {
  const [head, tail] = ip.includes('::') ? ip.split('::') as [string, string] : [ip, undefined];
  const parse = (s: string): number[] => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const h = parse(head);
  const t = tail === undefined ? [] : parse(tail);
  const groups = [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(g, i * 2));
  return out;
}

function matches(avp: Avp, key: AvpKey): boolean {
  return avp.code === key.code && avp.vendorId === key.vendorId;
}

export function findAvp(avps: readonly Avp[], key: AvpKey): Avp | undefined {
  return avps.find((a) => matches(a, key));
}

export function findAllAvps(avps: readonly Avp[], key: AvpKey): Avp[] {
  return avps.filter((a) => matches(a, key));
}

export function readUnsigned32(avp: Avp): number {
  if (avp.data.length !== 4) {
    throw new DiameterAvpError(avp.code, avp.vendorId, `AVP ${avp.code}: Unsigned32 needs 4 bytes, got ${avp.data.length}`, 5004);
  }
  return avp.data.readUInt32BE(0);
}

export function readUtf8(avp: Avp): string {
  return avp.data.toString('utf8');
}

export function readGrouped(avp: Avp): Avp[] {
  try {
    return decodeAvps(avp.data);
  } catch (err) {
    if (err instanceof DiameterDecodeError) {
      throw new DiameterAvpError(avp.code, avp.vendorId, `AVP ${avp.code}: bad Grouped value (${err.message})`, 5004);
    }
    throw err;
  }
}

/** The value of a required AVP, or DiameterAvpError naming it. */
export function requireAvp(avps: readonly Avp[], key: AvpKey, name: string): Avp {
  const avp = findAvp(avps, key);
  if (avp === undefined) throw new DiameterAvpError(key.code, key.vendorId, `missing ${name} AVP (${key.code})`);
  return avp;
}

export function optionalUtf8(avps: readonly Avp[], key: AvpKey): string | undefined {
  const avp = findAvp(avps, key);
  return avp === undefined ? undefined : readUtf8(avp);
}

export function optionalUnsigned32(avps: readonly Avp[], key: AvpKey): number | undefined {
  const avp = findAvp(avps, key);
  return avp === undefined ? undefined : readUnsigned32(avp);
}
