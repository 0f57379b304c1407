// RTP payload formats of an audio m= line: a=rtpmap (RFC 4566 6), a=fmtp and its
// semicolon-separated parameters (RFC 4867 8.1 for AMR/AMR-WB), static payload types (RFC 3551 6).
import type { SdpMedia } from './model.js';
import { attributeValues } from './model.js';

export interface RtpFormat {
  payloadType: number;
  /** encoding name as written (compare case-insensitively) */
  name: string;
  clockRate: number;
  channels?: number;
  /** fmtp parameters, keys lower-cased */
  params: Map<string, string>;
  /** the fmtp value as written ('' when none) */
  fmtp: string;
}

/** RFC 3551 table 4: static audio payload types a peer may use without rtpmap */
const STATIC: Record<number, { name: string; clockRate: number }> = {
  0: { name: 'PCMU', clockRate: 8000 },
  3: { name: 'GSM', clockRate: 8000 },
  4: { name: 'G723', clockRate: 8000 },
  8: { name: 'PCMA', clockRate: 8000 },
  9: { name: 'G722', clockRate: 8000 },
  18: { name: 'G729', clockRate: 8000 },
};

export function staticPayloadType(name: string, clockRate: number): number | undefined {
  for (const [pt, f] of Object.entries(STATIC)) if (f.name.toLowerCase() === name.toLowerCase() && f.clockRate === clockRate) return Number(pt);
  return undefined;
}

export function parseFmtpParams(value: string): Map<string, string> {
  const params = new Map<string, string>();
  for (const part of value.split(';')) {
    const p = part.trim();
    if (p === '') continue;
    const i = p.indexOf('=');
    if (i < 0) params.set(p.toLowerCase(), '');
    else params.set(p.slice(0, i).trim().toLowerCase(), p.slice(i + 1).trim());
  }
  return params;
}

/** The formats of an m= line in the order offered, with their rtpmap and fmtp. */
export function rtpFormats(m: SdpMedia): RtpFormat[] {
  const maps = new Map<number, string>();
  for (const v of attributeValues(m, 'rtpmap')) {
    const r = /^(\d+)\s+(.+)$/.exec(v);
    if (r) maps.set(Number(r[1]), r[2]!.trim());
  }
  const fmtps = new Map<number, string>();
  for (const v of attributeValues(m, 'fmtp')) {
    const r = /^(\d+)\s*(.*)$/.exec(v);
    if (r) fmtps.set(Number(r[1]), r[2]!.trim());
  }
  const out: RtpFormat[] = [];
  for (const f of m.formats) {
    if (!/^\d+$/.test(f)) continue;
    const pt = Number(f);
    const map = maps.get(pt);
    let name: string;
    let clockRate: number;
    let channels: number | undefined;
    if (map !== undefined) {
      const [n, rate, ch] = map.split('/');
      name = n ?? '';
      clockRate = Number(rate);
      if (ch !== undefined) channels = Number(ch);
    } else if (STATIC[pt]) {
      ({ name, clockRate } = STATIC[pt]);
    } else continue; // a dynamic type without rtpmap names nothing we could use
    const fmtp = fmtps.get(pt) ?? '';
    out.push({ payloadType: pt, name, clockRate, ...(channels !== undefined ? { channels } : {}), params: parseFmtpParams(fmtp), fmtp });
  }
  return out;
}

/** RFC 4867 8.1: octet-align=1 selects octet-aligned mode; absent or 0 is bandwidth-efficient */
export function isOctetAligned(f: RtpFormat): boolean {
  return f.params.get('octet-align') === '1';
}

/** RFC 4867 8.1: mode-set=0,1,2 (absent: every mode) */
export function modeSetOf(f: RtpFormat): number[] | undefined {
  const v = f.params.get('mode-set');
  if (v === undefined || v === '') return undefined;
  return v.split(',').map((x) => Number(x.trim())).filter((x) => Number.isInteger(x));
}

export function isAmr(name: string): boolean {
  const n = name.toUpperCase();
  return n === 'AMR' || n === 'AMR-WB';
}
