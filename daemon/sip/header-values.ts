// Typed header values: parse from a (single, already comma-split) header value and format back.
// Grammar per RFC 3261 section 25 (Via, name-addr/addr-spec, CSeq, Max-Forwards, Content-Length),
// RFC 3262 (RSeq, RAck).
import { SipParseError } from './errors.js';
import { isToken, isTokenChar, isWsp, quote, Scanner } from './grammar.js';
import { Params } from './params.js';
import { formatUri, parseHostPort, parseUri, type Uri } from './uri.js';

export interface Via {
  /** "SIP" */
  protocol: string;
  /** "2.0" */
  version: string;
  /** upper-cased transport: UDP, TCP, TLS, SCTP, WS, ... */
  transport: string;
  host: string;
  port?: number;
  /** branch, received, rport, maddr, ttl, ... */
  params: Params;
}

export interface NameAddr {
  /** display name, unquoted (undefined when absent) */
  displayName?: string;
  uri: Uri;
  /** header parameters (tag, expires, q, +sip.instance, lr on Route URIs is in uri.params) */
  params: Params;
}

/** A Contact value: a name-addr or the "*" of a REGISTER removing all bindings. */
export type Contact = NameAddr | '*';

export interface CSeq {
  seq: number;
  method: string;
}

export interface RAck {
  rseq: number;
  cseq: number;
  method: string;
}

function fail(msg: string, where: string): never {
  throw new SipParseError(msg, where);
}

/** RFC 3261 8.1.1.5: CSeq sequence number is a 32-bit unsigned integer less than 2**31. */
const MAX_CSEQ = 2 ** 31 - 1;

/** Parse 1*DIGIT into a number not above max. */
export function parseUnsigned(text: string, where: string, max = 2 ** 32 - 1): number {
  const t = text.trim();
  if (!/^\d+$/.test(t)) fail(`"${t}" is not a number`, where);
  const n = Number(t);
  if (!Number.isSafeInteger(n) || n > max) fail(`${t} exceeds ${max}`, where);
  return n;
}

/** Parse header parameters: *( SEMI generic-param ), generic-param = token [ EQUAL gen-value ]. */
function parseHeaderParams(s: Scanner): Params {
  const params = new Params();
  while (s.eat(';')) {
    s.skipWs();
    const name = s.token();
    if (name === '') fail('empty or invalid parameter', s.where);
    let value: string | null = null;
    if (s.eat('=')) {
      s.skipWs();
      if (s.peek() === '"') {
        const start = s.pos;
        if (s.quoted() === undefined) fail('unterminated quoted parameter value', s.where);
        value = s.text.slice(start, s.pos);
      } else if (s.peek() === '[') {
        const close = s.text.indexOf(']', s.pos);
        if (close < 0) fail('unterminated IPv6 reference', s.where);
        value = s.text.slice(s.pos, close + 1);
        s.pos = close + 1;
      } else {
        // token, or a host; RFC 3261 25.1 via-received is an IPv6address *without* brackets
        // (RFC 5118 4.5), so ':' is allowed in an unquoted value
        const start = s.pos;
        while (!s.done && (isTokenChar(s.text.charCodeAt(s.pos)) || s.text[s.pos] === ':')) s.pos++;
        value = s.text.slice(start, s.pos);
        if (value === '') fail(`parameter "${name}" has an empty value`, s.where);
      }
    }
    params.set(name, value);
  }
  s.skipWs();
  return params;
}

/** Parse one Via value (RFC 3261 25.1 via-parm). */
export function parseVia(text: string): Via {
  const s = new Scanner(text, 'Via');
  s.skipWs();
  const protocol = s.token();
  if (!s.eat('/')) fail(`bad sent-protocol in "${text}"`, 'Via');
  s.skipWs();
  const version = s.token();
  if (!s.eat('/')) fail(`bad sent-protocol in "${text}"`, 'Via');
  s.skipWs();
  const transport = s.token();
  if (protocol === '' || version === '' || transport === '') fail(`bad sent-protocol in "${text}"`, 'Via');
  if (!isWsp(s.text.charCodeAt(s.pos))) fail(`missing space before sent-by in "${text}"`, 'Via');
  s.skipWs();
  const start = s.pos;
  if (s.peek() === '[') {
    const close = s.text.indexOf(']', s.pos);
    if (close < 0) fail('unterminated IPv6 reference', 'Via');
    s.pos = close + 1;
  } else {
    while (!s.done && /[A-Za-z0-9.-]/.test(s.peek())) s.pos++;
  }
  s.skipWs();
  if (s.peek() === ':') {
    s.pos++;
    s.skipWs();
    while (!s.done && /\d/.test(s.peek())) s.pos++;
  }
  const hostport = s.text.slice(start, s.pos).replace(/[ \t]/g, '');
  const { host, port } = parseHostPort(hostport, 'Via');
  const params = parseHeaderParams(s);
  if (!s.done) fail(`unexpected "${s.rest()}"`, 'Via');
  const via: Via = { protocol, version, transport: transport.toUpperCase(), host, params };
  if (port !== undefined) via.port = port;
  return via;
}

export function formatVia(v: Via): string {
  return `${v.protocol}/${v.version}/${v.transport} ${v.host}${v.port !== undefined ? `:${v.port}` : ''}${v.params.toString()}`;
}

/**
 * Parse a name-addr or addr-spec with header parameters (From, To, Contact, Route, Record-Route,
 * P-Asserted-Identity, ...). RFC 3261 20.10: an addr-spec (no angle brackets) ends at the first
 * ";" after its host part, and may not contain "," "?" or ";" as part of the URI itself.
 */
export function parseNameAddr(text: string, where = 'name-addr'): NameAddr {
  const s = new Scanner(text, where);
  s.skipWs();
  let displayName: string | undefined;
  let uriText: string;
  if (s.peek() === '"') {
    const q = s.quoted();
    if (q === undefined) fail(`unterminated quoted display name in "${text}"`, where);
    displayName = q;
    s.skipWs();
    if (s.peek() !== '<') fail(`expected "<" after display name in "${text}"`, where);
  }
  const lt = s.text.indexOf('<', s.pos);
  const firstSemi = s.text.indexOf(';', s.pos);
  const hasAngle = lt >= 0 && (firstSemi < 0 || lt < firstSemi);
  if (s.peek() === '<' || (displayName === undefined && hasAngle)) {
    if (displayName === undefined && s.peek() !== '<') {
      // display-name as *(token LWS)
      const dn = s.text.slice(s.pos, lt).trim();
      for (const tok of dn.split(/[ \t]+/)) if (!isToken(tok)) fail(`invalid display name "${dn}"`, where);
      displayName = dn.replace(/[ \t]+/g, ' ');
      s.pos = lt;
    }
    const gt = s.text.indexOf('>', s.pos);
    if (gt < 0) fail(`unterminated "<" in "${text}"`, where);
    uriText = s.text.slice(s.pos + 1, gt);
    s.pos = gt + 1;
  } else {
    // addr-spec: the URI runs to whitespace or to the first ";" after the userinfo
    const start = s.pos;
    let end = start;
    while (end < s.text.length && !isWsp(s.text.charCodeAt(end))) end++;
    const candidate = s.text.slice(start, end);
    const at = candidate.indexOf('@');
    const semi = candidate.indexOf(';', at < 0 ? 0 : at);
    uriText = semi < 0 ? candidate : candidate.slice(0, semi);
    s.pos = start + uriText.length;
    if (/[?,]/.test(uriText.slice(at < 0 ? 0 : at))) fail(`URI with "?" or "," must be enclosed in "<>": "${text}"`, where);
  }
  const uri = parseUri(uriText, where);
  const params = parseHeaderParams(s);
  if (!s.done) fail(`unexpected "${s.rest()}"`, where);
  const na: NameAddr = { uri, params };
  if (displayName !== undefined) na.displayName = displayName;
  return na;
}

function formatDisplayName(name: string): string {
  const tokens = name.split(' ');
  return tokens.every((t) => isToken(t)) ? name : quote(name);
}

export function formatNameAddr(na: NameAddr): string {
  const dn = na.displayName !== undefined && na.displayName !== '' ? `${formatDisplayName(na.displayName)} ` : '';
  return `${dn}<${formatUri(na.uri)}>${na.params.toString()}`;
}

export function parseContact(text: string): Contact {
  if (text.trim() === '*') return '*';
  return parseNameAddr(text, 'Contact');
}

export function formatContact(c: Contact): string {
  return c === '*' ? '*' : formatNameAddr(c);
}

/** RFC 3261 20.16: CSeq = 1*DIGIT LWS Method */
export function parseCSeq(text: string): CSeq {
  const m = /^[ \t]*(\d+)[ \t]+(\S+)[ \t]*$/.exec(text);
  if (!m) fail(`malformed "${text}"`, 'CSeq');
  const method = m[2];
  if (!isToken(method)) fail(`invalid method "${method}"`, 'CSeq');
  return { seq: parseUnsigned(m[1], 'CSeq', MAX_CSEQ), method };
}

export function formatCSeq(c: CSeq): string {
  return `${c.seq} ${c.method}`;
}

/** RFC 3262 7.2: RAck = response-num LWS CSeq-num LWS Method */
export function parseRAck(text: string): RAck {
  const m = /^[ \t]*(\d+)[ \t]+(\d+)[ \t]+(\S+)[ \t]*$/.exec(text);
  if (!m || !isToken(m[3])) fail(`malformed "${text}"`, 'RAck');
  return { rseq: parseUnsigned(m[1], 'RAck'), cseq: parseUnsigned(m[2], 'RAck', MAX_CSEQ), method: m[3] };
}

export function formatRAck(r: RAck): string {
  return `${r.rseq} ${r.cseq} ${r.method}`;
}

/** RFC 3261 25.1 callid = word [ "@" word ] */
export function parseCallId(text: string): string {
  const t = text.trim();
  const parts = t.split('@');
  if (parts.length > 2 || parts.some((p) => p.length === 0 || ![...p].every((ch) => isWordChar(ch))))
    fail(`invalid "${t}"`, 'Call-ID');
  return t;
}

function isWordChar(ch: string): boolean {
  return isTokenChar(ch.charCodeAt(0)) || '()<>:\\"/[]?{}'.includes(ch);
}
