// Parsers for the 3GPP TS 27.007 packet-domain responses and URCs the generic driver reads:
// +CGCONTRDP (10.1.23), +CGSCONTRDP (10.1.24), +CGEQOSRDP (10.1.27), +CGTFTRDP (10.1.26),
// +CGACT? (10.1.10), +CGEV (10.1.19), +CIREGU (8.71), +COPS? (7.3), +CEREG (10.1.22). Pure
// functions; a line that does not have the documented form is an AtParseError naming the line,
// never a silent guess.
import { isIP } from 'node:net';
import type { PacketFilter } from '../driver.js';

export class AtParseError extends Error {
  override name = 'AtParseError';
}

/** The parameters after "+XXX: ", split at commas outside double quotes; quotes removed, empty ones ''. */
export function splitParams(line: string, prefix?: string): string[] {
  let body = line;
  if (prefix !== undefined) {
    if (!line.toUpperCase().startsWith(`${prefix.toUpperCase()}:`)) throw new AtParseError(`expected ${prefix}: but got "${line}"`);
    body = line.slice(prefix.length + 1);
  }
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (const ch of body) {
    if (ch === '"') quoted = !quoted;
    else if (ch === ',' && !quoted) {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (quoted) throw new AtParseError(`unterminated string in "${line}"`);
  out.push(cur.trim());
  return out;
}

function int(value: string | undefined, what: string, line: string): number {
  if (value === undefined || !/^\d+$/.test(value)) throw new AtParseError(`${what} is not a number in "${line}"`);
  return Number(value);
}

function optInt(value: string | undefined): number | undefined {
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;
}

/** IPv6 text in its canonical (RFC 5952) form */
function canonicalV6(text: string): string {
  return new URL(`http://[${text}]/`).hostname.slice(1, -1);
}

function v6FromBytes(b: number[]): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[i]! << 8) | b[i + 1]!).toString(16));
  return canonicalV6(groups.join(':'));
}

/**
 * The addresses in one 27.007 address parameter: dot-separated bytes "a1.a2.a3.a4[.m1.m2.m3.m4]"
 * (IPv4, 4 or 8 numbers) or 16/32 numbers (IPv6, +CGPIAF default), or colon notation with an
 * optional "/prefix" or " mask" (+CGPIAF=1); a dual-stack parameter holds both, space separated.
 * Unset addresses (0.0.0.0, ::) are left out.
 */
export function parseAddresses(field: string): string[] {
  const out: string[] = [];
  const tokens = field.trim().split(/\s+/).filter((t) => t !== '');
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.includes(':')) {
      const addr = t.split('/')[0]!;
      if (isIP(addr) !== 6) throw new AtParseError(`"${t}" is not an IPv6 address`);
      // "addr mask": the mask is the next token in colon form
      if (tokens[i + 1]?.includes(':') && /^[fF:0]+$/.test(tokens[i + 1]!)) i += 1;
      out.push(canonicalV6(addr));
      continue;
    }
    const parts = t.split('.');
    if (!parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) throw new AtParseError(`"${t}" is not a dot-separated address`);
    const b = parts.map(Number);
    if (b.length === 4 || b.length === 8) out.push(b.slice(0, 4).join('.'));
    else if (b.length === 16 || b.length === 32) out.push(v6FromBytes(b.slice(0, 16)));
    else if (isIP(t) === 4) out.push(t);
    else throw new AtParseError(`"${t}" has ${b.length} numbers, not an IPv4 or IPv6 address (with or without mask)`);
  }
  return out.filter((a) => a !== '0.0.0.0' && a !== '::');
}

export interface ContextDynamic {
  cid: number;
  bearerId: number;
  apn: string;
  addresses: string[];
  gateways: string[];
  dns: string[];
  pcscf: string[];
  imCnSignalling?: boolean;
  mtu?: number;
}

/**
 * 27.007 10.1.23: "+CGCONTRDP: <cid>,<bearer_id>,<apn>[,<local_addr and subnet_mask>[,<gw_addr>
 * [,<DNS_prim_addr>[,<DNS_sec_addr>[,<P-CSCF_prim_addr>[,<P-CSCF_sec_addr>[,<IM_CN_Signalling_Flag>
 * [,<LIPA_indication>[,<IPv4_MTU>...". A dual-stack context gives an IPv4 line and an IPv6 line (and
 * more pairs for more DNS/P-CSCF servers): the lines of one cid are merged, in order.
 */
export function parseContextDynamic(lines: string[], cid: number): ContextDynamic | undefined {
  let result: ContextDynamic | undefined;
  const add = (list: string[], values: string[]): void => {
    for (const v of values) if (!list.includes(v)) list.push(v);
  };
  for (const line of lines) {
    if (!line.toUpperCase().startsWith('+CGCONTRDP:')) continue;
    const p = splitParams(line, '+CGCONTRDP');
    if (int(p[0], '<cid>', line) !== cid) continue;
    const r = (result ??= { cid, bearerId: int(p[1], '<bearer_id>', line), apn: p[2] ?? '', addresses: [], gateways: [], dns: [], pcscf: [] });
    add(r.addresses, parseAddresses(p[3] ?? ''));
    add(r.gateways, parseAddresses(p[4] ?? ''));
    add(r.dns, [...parseAddresses(p[5] ?? ''), ...parseAddresses(p[6] ?? '')]);
    add(r.pcscf, [...parseAddresses(p[7] ?? ''), ...parseAddresses(p[8] ?? '')]);
    if (p[9] === '1' || p[9] === '0') r.imCnSignalling = p[9] === '1';
    const mtu = optInt(p[11]);
    if (mtu !== undefined && mtu > 0) r.mtu = mtu;
  }
  return result;
}

/** 27.007 10.1.24: "+CGSCONTRDP: <cid>,<p_cid>,<bearer_id>..." */
export function parseSecondaryDynamic(lines: string[], cid: number): { pcid: number; bearerId: number } | undefined {
  for (const line of lines) {
    if (!line.toUpperCase().startsWith('+CGSCONTRDP:')) continue;
    const p = splitParams(line, '+CGSCONTRDP');
    if (int(p[0], '<cid>', line) !== cid) continue;
    return { pcid: int(p[1], '<p_cid>', line), bearerId: int(p[2], '<bearer_id>', line) };
  }
  return undefined;
}

export interface QosDynamic {
  qci: number;
  gbrDownlink?: number;
  gbrUplink?: number;
  mbrDownlink?: number;
  mbrUplink?: number;
}

/** 27.007 10.1.27: "+CGEQOSRDP: <cid>,<QCI>,[<DL_GBR>,<UL_GBR>],[<DL_MBR>,<UL_MBR>][,<DL_AMBR>,<UL_AMBR>]" (kbit/s) */
export function parseQosDynamic(lines: string[], cid: number): QosDynamic | undefined {
  for (const line of lines) {
    if (!line.toUpperCase().startsWith('+CGEQOSRDP:')) continue;
    const p = splitParams(line, '+CGEQOSRDP');
    if (int(p[0], '<cid>', line) !== cid) continue;
    const q: QosDynamic = { qci: int(p[1], '<QCI>', line) };
    const set = (key: keyof Omit<QosDynamic, 'qci'>, v: string | undefined): void => {
      const n = optInt(v);
      if (n !== undefined) q[key] = n;
    };
    set('gbrDownlink', p[2]);
    set('gbrUplink', p[3]);
    set('mbrDownlink', p[4]);
    set('mbrUplink', p[5]);
    return q;
  }
  return undefined;
}

function portRange(v: string | undefined, line: string): [number, number] | undefined {
  if (v === undefined || v === '') return undefined;
  const m = /^(\d{1,5})\.(\d{1,5})$/.exec(v);
  if (!m) throw new AtParseError(`port range "${v}" is not "from.to" in "${line}"`);
  return [Number(m[1]), Number(m[2])];
}

/**
 * 27.007 10.1.26: "+CGTFTRDP: <cid>,<packet filter identifier>,<evaluation precedence index>,
 * <remote address and subnet mask>,<protocol number (ipv4) / next header (ipv6)>,<local port range>,
 * <remote port range>,<ipsec spi>,<tos and mask / traffic class and mask>,<flow label>,<direction>,
 * <NW packet filter identifier>..."; <direction> 1 uplink, 2 downlink, 3 bidirectional (0: pre-Rel-7,
 * taken as bidirectional).
 */
export function parseTftDynamic(lines: string[], cid: number): PacketFilter[] {
  const out: PacketFilter[] = [];
  for (const line of lines) {
    if (!line.toUpperCase().startsWith('+CGTFTRDP:')) continue;
    const p = splitParams(line, '+CGTFTRDP');
    if (int(p[0], '<cid>', line) !== cid) continue;
    const dir = optInt(p[10]) ?? 3;
    const f: PacketFilter = { direction: dir === 1 ? 'uplink' : dir === 2 ? 'downlink' : 'bidirectional' };
    const remote = parseAddresses(p[3] ?? '')[0];
    if (remote !== undefined) f.remoteAddress = remote;
    const proto = optInt(p[4]);
    if (proto !== undefined && proto > 0) f.protocol = proto;
    const local = portRange(p[5], line);
    if (local) f.localPorts = local;
    const remotePorts = portRange(p[6], line);
    if (remotePorts) f.remotePorts = remotePorts;
    out.push(f);
  }
  return out;
}

/** 27.007 10.1.10: "+CGACT: <cid>,<state>" lines → the active cids */
export function parseActiveContexts(lines: string[]): number[] {
  return lines
    .filter((l) => l.toUpperCase().startsWith('+CGACT:'))
    .map((l) => splitParams(l, '+CGACT'))
    .filter((p) => p[1] === '1')
    .map((p) => Number(p[0]));
}

/** The packet-domain events of 27.007 10.1.19 the driver acts on. */
export type CgevEvent =
  | { kind: 'pdn-act'; by: 'ME' | 'NW'; cid: number }
  | { kind: 'pdn-deact'; by: 'ME' | 'NW'; cid: number }
  | { kind: 'bearer-act'; by: 'ME' | 'NW'; pcid: number; cid: number; ackRequired: boolean }
  | { kind: 'bearer-deact'; by: 'ME' | 'NW'; pcid: number; cid: number; ackRequired: boolean }
  | { kind: 'modify'; by: 'ME' | 'NW'; cid: number; changeReason: number; ackRequired: boolean }
  | { kind: 'detach'; by: 'ME' | 'NW' }
  /** pre-EPS "NW DEACT <PDP_type>,<PDP_addr>[,<cid>]" */
  | { kind: 'context-deact'; by: 'ME' | 'NW'; cid?: number }
  | { kind: 'other'; text: string };

export function parseCgev(line: string): CgevEvent {
  const m = /^\+CGEV:\s*(.*)$/i.exec(line);
  if (!m) throw new AtParseError(`not a +CGEV line: "${line}"`);
  const text = m[1]!.trim();
  const e = /^(ME|NW) (PDN ACT|PDN DEACT|ACT|DEACT|MODIFY|DETACH)\b\s*(.*)$/.exec(text);
  if (!e) return { kind: 'other', text };
  const by = e[1] as 'ME' | 'NW';
  const what = e[2]!;
  const p = e[3]!.length > 0 ? splitParams(e[3]!) : [];
  switch (what) {
    case 'PDN ACT':
      return { kind: 'pdn-act', by, cid: int(p[0], '<cid>', line) };
    case 'PDN DEACT':
      return { kind: 'pdn-deact', by, cid: int(p[0], '<cid>', line) };
    case 'DETACH':
      return { kind: 'detach', by };
    case 'ACT':
    case 'DEACT':
      // EPS form: <p_cid>,<cid>,<event_type>; the older form starts with a PDP type
      if (p[0] !== undefined && /^\d+$/.test(p[0]) && p[1] !== undefined && /^\d+$/.test(p[1])) {
        return { kind: what === 'ACT' ? 'bearer-act' : 'bearer-deact', by, pcid: Number(p[0]), cid: Number(p[1]), ackRequired: p[2] === '1' };
      }
      if (what === 'DEACT') {
        const cid = optInt(p[2]);
        return cid !== undefined ? { kind: 'context-deact', by, cid } : { kind: 'context-deact', by };
      }
      return { kind: 'other', text };
    case 'MODIFY':
      return { kind: 'modify', by, cid: int(p[0], '<cid>', line), changeReason: optInt(p[1]) ?? 0, ackRequired: p[2] === '1' };
    default:
      return { kind: 'other', text };
  }
}

/** 27.007 8.71: "+CIREGU: <reg_info>[,<ext_info>]" (or the +CIREG? form "+CIREG: <n>,<reg_info>...") */
export function parseCiregRegistered(line: string): boolean | undefined {
  const u = /^\+CIREGU:\s*(\d)/.exec(line);
  if (u) return u[1] === '1';
  const r = /^\+CIREG:\s*\d+,(\d)/.exec(line);
  if (r) return r[1] === '1';
  return undefined;
}

/** 27.007 7.3: "+COPS: <mode>[,<format>,<oper>[,<AcT>]]"; <format> 2 gives <oper> as MCC ‖ MNC digits */
export interface OperatorSelection {
  mode: number;
  format?: number;
  oper?: string;
  act?: number;
}

export function parseCops(line: string): OperatorSelection {
  const p = splitParams(line, '+COPS');
  const r: OperatorSelection = { mode: int(p[0], '<mode>', line) };
  if (p.length === 1) return r;
  r.format = int(p[1], '<format>', line);
  if (p[2] === undefined) throw new AtParseError(`<oper> missing in "${line}"`);
  r.oper = p[2];
  if (p[3] !== undefined && p[3] !== '') r.act = int(p[3], '<AcT>', line);
  return r;
}

/** The EPS registration state of 27.007 10.1.22, with the serving cell when the MT gave it (<n> ≥ 2). */
export interface EpsRegistration {
  /** 0 not registered, 1 registered (home), 2 searching, 3 denied, 4 unknown, 5 registered (roaming), ... */
  stat: number;
  /** <tac>: the tracking area code (two bytes) */
  tac?: number;
  /** <ci>: the cell identity (four bytes; 28 bits for an E-UTRAN cell) */
  ci?: number;
  /** <AcT> (27.007 7.3): 7 E-UTRAN */
  act?: number;
}

/**
 * 27.007 10.1.22: the read form "+CEREG: <n>,<stat>[,<tac>,<ci>[,<AcT>...]]" and the URC
 * "+CEREG: <stat>[,<tac>,<ci>[,<AcT>...]]" (no <n>). The second parameter tells them apart: <stat>
 * (a small unquoted number) in the read form, <tac> (a string, 4 hex digits) in the URC; two
 * parameters without quotes can only be "<n>,<stat>", three only "<stat>,<tac>,<ci>".
 */
export function parseCereg(line: string): EpsRegistration {
  const p = splitParams(line, '+CEREG');
  const secondQuoted = /^[^,]*,\s*"/.test(line.slice('+CEREG:'.length));
  const readForm = !secondQuoted && p.length !== 1 && p.length !== 3 && /^\d{1,2}$/.test(p[1] ?? '');
  const f = readForm ? p.slice(1) : p;
  const r: EpsRegistration = { stat: int(f[0], '<stat>', line) };
  if (f.length === 1 || (f[1] === '' && (f[2] ?? '') === '')) return r;
  const tac = f[1]!;
  const ci = f[2];
  if (!/^[0-9A-Fa-f]{1,4}$/.test(tac)) throw new AtParseError(`<tac> "${tac}" is not two bytes in hex in "${line}"`);
  if (ci === undefined || !/^[0-9A-Fa-f]{1,8}$/.test(ci)) throw new AtParseError(`<ci> ${ci === undefined ? 'missing' : `"${ci}" is not four bytes in hex`} in "${line}"`);
  r.tac = parseInt(tac, 16);
  r.ci = parseInt(ci, 16);
  if (f[3] !== undefined && f[3] !== '') r.act = int(f[3], '<AcT>', line);
  return r;
}
