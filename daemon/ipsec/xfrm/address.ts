// IP addresses as XFRM carries them: xfrm_address_t, 16 bytes, IPv4 in the first four.
import { isIP } from 'node:net';
import { AF_INET, AF_INET6 } from './constants.js';

export interface XfrmAddress {
  family: typeof AF_INET | typeof AF_INET6;
  bytes: Buffer; // 16 bytes
}

export class AddressError extends Error {}

export function encodeAddress(text: string): XfrmAddress {
  const v = isIP(text);
  const bytes = Buffer.alloc(16);
  if (v === 4) {
    text.split('.').forEach((p, i) => bytes.writeUInt8(Number(p), i));
    return { family: AF_INET, bytes };
  }
  if (v === 6) {
    const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
    const groups = (s: string | undefined): string[] => (s ? s.split(':') : []);
    let h = groups(head);
    let t = groups(tail);
    // an embedded IPv4 (::ffff:1.2.3.4) becomes two groups
    const v4 = (g: string[]): string[] => {
      const last = g[g.length - 1];
      if (!last?.includes('.')) return g;
      const b = last.split('.').map(Number);
      return [...g.slice(0, -1), ((b[0] << 8) | b[1]).toString(16), ((b[2] << 8) | b[3]).toString(16)];
    };
    if (tail === undefined) h = v4(h);
    else t = v4(t);
    const all = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
    all.forEach((g, i) => bytes.writeUInt16BE(parseInt(g, 16), i * 2));
    return { family: AF_INET6, bytes };
  }
  throw new AddressError(`not an IP address: ${JSON.stringify(text)}`);
}

export function decodeAddress(bytes: Buffer, family: number): string {
  if (family === AF_INET) return [...bytes.subarray(0, 4)].join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  // RFC 5952 4.2: the longest run of zero groups (two or more) becomes "::"
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== '0') { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}
