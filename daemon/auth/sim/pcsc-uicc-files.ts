// Parsers for the UICC files the IMS client reads (pure, on byte arrays):
// EF_DIR (TS 102 221 13.1), FCP templates (TS 102 221 11.1.1.3), ISIM EF_IMPI / EF_DOMAIN /
// EF_IMPU / EF_IST / EF_P-CSCF (TS 31.103 4.2), USIM EF_IMSI / EF_AD (TS 31.102 4.2.2, 4.2.18).
import { isIP } from 'node:net';
import { CardDataError } from './pcsc-errors.js';

/** Application identifier prefixes, RID A000000087 + application code (TS 101 220 Annex E). */
export const ISIM_AID_PREFIX = Buffer.from('a0000000871004', 'hex');
export const USIM_AID_PREFIX = Buffer.from('a0000000871002', 'hex');

export const FID = {
  MF: 0x3f00,
  EF_DIR: 0x2f00,
  // ADF.ISIM, TS 31.103 4.2
  EF_IMPI: 0x6f02,
  EF_DOMAIN: 0x6f03,
  EF_IMPU: 0x6f04,
  EF_ISIM_AD: 0x6fad,
  EF_IST: 0x6f07,
  EF_PCSCF: 0x6f09,
  // ADF.USIM, TS 31.102 4.2
  EF_IMSI: 0x6f07,
  EF_AD: 0x6fad,
} as const;

/** TS 31.103 4.2.7: ISIM service n°1 is "P-CSCF address". */
export const IST_PCSCF_ADDRESS = 1;

interface Tlv {
  tag: number;
  value: Buffer;
}

/** BER-TLV with one-byte tags and the short/0x81/0x82 length forms (TS 102 221 Annex D). */
export function parseTlvs(data: Buffer, what: string): Tlv[] {
  const out: Tlv[] = [];
  let i = 0;
  while (i < data.length) {
    const tag = data[i]!;
    if (tag === 0xff || tag === 0x00) break; // padding after the last object
    if (i + 1 >= data.length) throw new CardDataError(`${what}: TLV with tag ${tag.toString(16)} has no length`);
    let len = data[i + 1]!;
    let head = 2;
    if (len === 0x81) {
      len = data[i + 2] ?? -1;
      head = 3;
    } else if (len === 0x82) {
      len = data.length >= i + 4 ? data.readUInt16BE(i + 2) : -1;
      head = 4;
    } else if (len > 0x7f) {
      throw new CardDataError(`${what}: unsupported TLV length form 0x${len.toString(16)}`);
    }
    if (len < 0 || i + head + len > data.length) throw new CardDataError(`${what}: TLV with tag ${tag.toString(16)} overruns the data`);
    out.push({ tag, value: data.subarray(i + head, i + head + len) });
    i += head + len;
  }
  return out;
}

const isErased = (b: Buffer): boolean => b.length === 0 || b.every((x) => x === 0xff);

export interface DirEntry {
  aid: Buffer;
  label?: string;
}

/** TS 102 221 13.1: an EF_DIR record is an application template '61' holding '4F' AID and '50' label. */
export function parseDirRecord(record: Buffer): DirEntry | null {
  if (isErased(record)) return null;
  const [template] = parseTlvs(record, 'EF_DIR record');
  if (template === undefined || template.tag !== 0x61) throw new CardDataError('EF_DIR record is not an application template (tag 61)');
  const inner = parseTlvs(template.value, 'EF_DIR application template');
  const aid = inner.find((t) => t.tag === 0x4f)?.value;
  if (aid === undefined || aid.length < 5 || aid.length > 16) throw new CardDataError('EF_DIR record has no valid AID (tag 4F)');
  const label = inner.find((t) => t.tag === 0x50)?.value;
  return { aid: Buffer.from(aid), ...(label !== undefined ? { label: label.toString('utf8') } : {}) };
}

export const hasPrefix = (aid: Buffer, prefix: Buffer): boolean => aid.length >= prefix.length && aid.subarray(0, prefix.length).equals(prefix);

export type FileStructure = 'transparent' | 'linear-fixed' | 'cyclic' | 'other';

export interface FileControl {
  structure: FileStructure;
  /** Transparent EF: file size (tag 80). */
  size?: number;
  /** Record EF: record length and number of records (tag 82). */
  recordLength?: number;
  records?: number;
}

/** TS 102 221 11.1.1.3: FCP template '62' with file descriptor '82' and file size '80'. */
export function parseFcp(fcp: Buffer): FileControl {
  const [template] = parseTlvs(fcp, 'FCP');
  if (template === undefined || template.tag !== 0x62) throw new CardDataError('SELECT response is not an FCP template (tag 62)');
  const inner = parseTlvs(template.value, 'FCP template');
  const descriptor = inner.find((t) => t.tag === 0x82)?.value;
  if (descriptor === undefined || descriptor.length < 2) throw new CardDataError('FCP template has no file descriptor (tag 82)');
  const kind = descriptor[0]! & 0x07; // TS 102 221 Table 11.5: b3..b1 EF structure
  const structure: FileStructure = kind === 1 ? 'transparent' : kind === 2 ? 'linear-fixed' : kind === 6 ? 'cyclic' : 'other';
  const fc: FileControl = { structure };
  if ((structure === 'linear-fixed' || structure === 'cyclic') && descriptor.length >= 5) {
    fc.recordLength = descriptor.readUInt16BE(2);
    fc.records = descriptor[4]!;
  }
  const size = inner.find((t) => t.tag === 0x80)?.value;
  if (size !== undefined && size.length > 0) fc.size = size.readUIntBE(0, Math.min(size.length, 4));
  return fc;
}

/**
 * TS 31.103 4.2.2 / 4.2.3 / 4.2.4: EF_IMPI, EF_DOMAIN and each EF_IMPU record hold one TLV with
 * tag '80' and a UTF-8 string (an NAI, a domain, a SIP or tel URI). Erased content gives null.
 */
export function parseTlv80String(content: Buffer, file: string): string | null {
  if (isErased(content)) return null;
  const first = parseTlvs(content, file)[0];
  if (first === undefined) return null;
  if (first.tag !== 0x80) throw new CardDataError(`${file} does not start with tag 80`);
  const text = first.value.toString('utf8');
  if (text.length === 0) return null;
  if (first.value.some((b) => b < 0x20 || b === 0x7f) || text.includes('\ufffd')) throw new CardDataError(`${file} holds a malformed string`);
  return text;
}

/**
 * TS 31.103 4.2.8: an EF_P-CSCF record is '80' L, an address type byte ('00' FQDN, '01' IPv4,
 * '02' IPv6) and the address. IP addresses are taken as binary when they have the address
 * length, otherwise as text (both encodings are found on cards).
 */
export function parsePcscfRecord(record: Buffer): string | null {
  if (isErased(record)) return null;
  const first = parseTlvs(record, 'EF_P-CSCF record')[0];
  if (first === undefined) return null;
  if (first.tag !== 0x80 || first.value.length < 2) throw new CardDataError('EF_P-CSCF record is not tag 80 with a type and an address');
  const type = first.value[0]!;
  const addr = first.value.subarray(1);
  const text = (): string => {
    const s = addr.toString('utf8');
    if (!/^[A-Za-z0-9.:\-_[\]]+$/.test(s)) throw new CardDataError('EF_P-CSCF record holds a malformed address');
    return s;
  };
  switch (type) {
    case 0x00:
      return text();
    case 0x01:
      if (addr.length === 4) return Array.from(addr).join('.');
      if (isIP(text()) !== 4) throw new CardDataError('EF_P-CSCF IPv4 address is malformed');
      return text();
    case 0x02:
      if (addr.length === 16) return (addr.toString('hex').match(/.{4}/g) ?? []).join(':').replace(/(^|:)0{1,3}(?=[0-9a-f])/g, '$1');
      if (isIP(text()) !== 6) throw new CardDataError('EF_P-CSCF IPv6 address is malformed');
      return text();
    default:
      throw new CardDataError(`EF_P-CSCF record has unknown address type ${type}`);
  }
}

/** TS 31.103 4.2.7 (same coding as TS 31.102 EF_UST): service n is byte (n-1)/8, bit (n-1)%8, b1 first. */
export function serviceAvailable(table: Buffer, service: number): boolean {
  const byte = table[Math.floor((service - 1) / 8)];
  return byte !== undefined && (byte & (1 << ((service - 1) % 8))) !== 0;
}

/** TS 31.102 4.2.18: EF_AD byte 4, b4..b1, is the number of MNC digits in the IMSI (2 or 3). */
export function parseMncLength(ad: Buffer): number {
  if (ad.length < 4) throw new CardDataError('EF_AD has no MNC length (byte 4)');
  const n = ad[3]! & 0x0f;
  if (n !== 2 && n !== 3) throw new CardDataError(`EF_AD gives an MNC length of ${n}, not 2 or 3`);
  return n;
}

/**
 * TS 31.102 4.2.2: EF_IMSI byte 1 = number of following bytes; then BCD digits low nibble first,
 * the very first nibble being the parity/type '9' (odd digit count) or '1' (even), 'F' filler.
 */
export function parseImsi(content: Buffer): string {
  const len = content[0];
  if (len === undefined || len < 1 || len > 8 || content.length < len + 1) throw new CardDataError('EF_IMSI has an invalid length byte');
  const nibbles: number[] = [];
  for (const b of content.subarray(1, 1 + len)) nibbles.push(b & 0x0f, b >> 4);
  const [type, ...digits] = nibbles;
  if ((type! & 0x07) !== 0x01) throw new CardDataError('EF_IMSI does not hold an IMSI (type nibble)');
  const body = digits[digits.length - 1] === 0x0f ? digits.slice(0, -1) : digits;
  if (body.some((d) => d > 9)) throw new CardDataError('EF_IMSI holds a non-decimal digit');
  const odd = (type! & 0x08) !== 0;
  if (odd !== (body.length % 2 === 1)) throw new CardDataError('EF_IMSI parity bit does not match its digit count');
  const imsi = body.join('');
  if (imsi.length < 6 || imsi.length > 15) throw new CardDataError('EF_IMSI holds an IMSI of invalid length');
  return imsi;
}
