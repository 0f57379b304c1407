// URIs that appear in SIP: sip:/sips: (RFC 3261 19.1, IPv6 references per RFC 5118),
// tel: (RFC 3966), urn: (RFC 8141, e.g. urn:service:sos) and any other absoluteURI kept opaque.
import { SipParseError } from './errors.js';
import { Params } from './params.js';

export interface SipUri {
  scheme: 'sip' | 'sips';
  /** userinfo user part, still %-escaped as received */
  user?: string;
  password?: string;
  /** hostname, IPv4 address, or IPv6 reference including its brackets */
  host: string;
  port?: number;
  params: Params;
  /** "?" headers, names and values still %-escaped */
  headers: Array<[string, string]>;
}

export interface TelUri {
  scheme: 'tel';
  /** global (+...) or local number, visual separators kept */
  number: string;
  params: Params;
}

export interface UrnUri {
  scheme: 'urn';
  /** namespace identifier, e.g. "service" */
  nid: string;
  /** namespace-specific string, e.g. "sos.police" */
  nss: string;
}

export interface OtherUri {
  /** lower-cased scheme */
  scheme: string;
  /** everything after "scheme:" */
  opaque: string;
}

export type Uri = SipUri | TelUri | UrnUri | OtherUri;

export function isSipUri(u: Uri): u is SipUri {
  return u.scheme === 'sip' || u.scheme === 'sips';
}
export function isTelUri(u: Uri): u is TelUri {
  return u.scheme === 'tel';
}
export function isUrnUri(u: Uri): u is UrnUri {
  return u.scheme === 'urn';
}

const SCHEME_RE = /^[A-Za-z][A-Za-z0-9+.-]*$/;
const HOSTNAME_RE = /^([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?\.)*[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?\.?$/;
const IPV4_RE = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;
// Characters allowed in the user/password/param/header parts once structure is removed:
// unreserved, escaped and the RFC 3261 user-unreserved / param-unreserved / hnv-unreserved sets.
const URI_CHARS_RE = /^[A-Za-z0-9\-_.!~*'()%&=+$,;?/:[\]]*$/;

function fail(msg: string, where: string): never {
  throw new SipParseError(msg, where);
}

function isIPv6(s: string): boolean {
  // RFC 5118 / RFC 3261 25.1 IPv6reference: hex groups, at most one "::", optional IPv4 tail.
  if (!/^[0-9A-Fa-f:.]+$/.test(s) || s.includes(':::')) return false;
  const dbl = s.split('::').length - 1;
  if (dbl > 1) return false;
  let groups = s.split(':');
  const last = groups[groups.length - 1];
  let max = 8;
  if (last.includes('.')) {
    if (!IPV4_RE.test(last) || !validIPv4(last)) return false;
    groups = groups.slice(0, -1);
    max = 6;
  }
  const nonEmpty = groups.filter((g) => g !== '');
  if (nonEmpty.some((g) => !/^[0-9A-Fa-f]{1,4}$/.test(g))) return false;
  if (dbl === 0) return nonEmpty.length === max && groups.length === max;
  return nonEmpty.length < max;
}

function hasControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

function validIPv4(s: string): boolean {
  return s.split('.').every((o) => Number(o) <= 255);
}

/** Validate a host (hostname / IPv4address / IPv6reference). */
export function isValidHost(host: string): boolean {
  if (host.startsWith('[')) return host.endsWith(']') && isIPv6(host.slice(1, -1));
  if (IPV4_RE.test(host)) return validIPv4(host);
  return HOSTNAME_RE.test(host);
}

/** Parse "host[:port]" (sent-by / hostport). */
export function parseHostPort(s: string, where: string): { host: string; port?: number } {
  let host: string;
  let rest: string;
  if (s.startsWith('[')) {
    const close = s.indexOf(']');
    if (close < 0) fail('unterminated IPv6 reference', where);
    host = s.slice(0, close + 1);
    rest = s.slice(close + 1);
  } else {
    const colon = s.indexOf(':');
    host = colon < 0 ? s : s.slice(0, colon);
    rest = colon < 0 ? '' : s.slice(colon);
  }
  if (!isValidHost(host)) fail(`invalid host "${host}"`, where);
  if (rest === '') return { host };
  if (!/^:\d{1,5}$/.test(rest)) fail(`invalid port "${rest.slice(1)}"`, where);
  const port = Number(rest.slice(1));
  if (port > 65535) fail(`port ${port} out of range`, where);
  return { host, port };
}

function parseParams(s: string, where: string): Params {
  const params = new Params();
  if (s === '') return params;
  // s starts with ';'
  for (const part of s.slice(1).split(';')) {
    if (part === '') fail('empty URI parameter', where);
    const eq = part.indexOf('=');
    const name = eq < 0 ? part : part.slice(0, eq);
    const value = eq < 0 ? null : part.slice(eq + 1);
    if (name === '' || !URI_CHARS_RE.test(name) || (value !== null && !URI_CHARS_RE.test(value)))
      fail(`invalid URI parameter "${part}"`, where);
    params.set(name, value);
  }
  return params;
}

function parseSipUri(scheme: 'sip' | 'sips', rest: string, where: string): SipUri {
  let user: string | undefined;
  let password: string | undefined;
  let hostPart = rest;
  // RFC 3261 25.1: userinfo cannot contain "@", and neither can params or headers, so the
  // first "@" (if any) ends the userinfo even when the user part holds ";" or "?".
  const at = rest.indexOf('@');
  if (at >= 0) {
    const userinfo = rest.slice(0, at);
    hostPart = rest.slice(at + 1);
    const colon = userinfo.indexOf(':');
    user = colon < 0 ? userinfo : userinfo.slice(0, colon);
    if (colon >= 0) password = userinfo.slice(colon + 1);
    if (user === '' || !URI_CHARS_RE.test(userinfo)) fail(`invalid userinfo "${userinfo}"`, where);
  }
  let headersPart = '';
  const q = hostPart.indexOf('?');
  if (q >= 0) {
    headersPart = hostPart.slice(q + 1);
    hostPart = hostPart.slice(0, q);
  }
  let paramsPart = '';
  const semi = hostPart.indexOf(';');
  if (semi >= 0) {
    paramsPart = hostPart.slice(semi);
    hostPart = hostPart.slice(0, semi);
  }
  const { host, port } = parseHostPort(hostPart, where);
  const headers: Array<[string, string]> = [];
  if (q >= 0) {
    for (const h of headersPart.split('&')) {
      const eq = h.indexOf('=');
      if (eq <= 0 || !URI_CHARS_RE.test(h)) fail(`invalid URI header "${h}"`, where);
      headers.push([h.slice(0, eq), h.slice(eq + 1)]);
    }
  }
  const uri: SipUri = { scheme, host, params: parseParams(paramsPart, where), headers };
  if (user !== undefined) uri.user = user;
  if (password !== undefined) uri.password = password;
  if (port !== undefined) uri.port = port;
  return uri;
}

function parseTelUri(rest: string, where: string): TelUri {
  const semi = rest.indexOf(';');
  const number = semi < 0 ? rest : rest.slice(0, semi);
  // RFC 3966 3: global-number-digits "+" *phonedigit, local-number-digits *phonedigit-hex
  if (!/^(\+[0-9\-.()]*[0-9][0-9\-.()]*|[0-9A-Fa-f*#\-.()]*[0-9A-Fa-f*#][0-9A-Fa-f*#\-.()]*)$/.test(number))
    fail(`invalid telephone number "${number}"`, where);
  return { scheme: 'tel', number, params: parseParams(semi < 0 ? '' : rest.slice(semi), where) };
}

function parseUrn(rest: string, where: string): UrnUri {
  const colon = rest.indexOf(':');
  if (colon <= 0 || colon === rest.length - 1) fail(`invalid URN "urn:${rest}"`, where);
  const nid = rest.slice(0, colon);
  if (!/^[A-Za-z0-9][A-Za-z0-9-]{0,31}$/.test(nid)) fail(`invalid URN namespace "${nid}"`, where);
  return { scheme: 'urn', nid, nss: rest.slice(colon + 1) };
}

/** Parse an absolute URI as found in a Request-Line or name-addr. Throws SipParseError. */
export function parseUri(text: string, where = 'URI'): Uri {
  const colon = text.indexOf(':');
  if (colon <= 0) fail(`no scheme in "${text}"`, where);
  const schemeRaw = text.slice(0, colon);
  if (!SCHEME_RE.test(schemeRaw)) fail(`invalid scheme "${schemeRaw}"`, where);
  const rest = text.slice(colon + 1);
  if (/[\s<>"]/.test(rest) || hasControl(rest)) fail(`invalid characters in "${text}"`, where);
  const scheme = schemeRaw.toLowerCase();
  if (scheme === 'sip' || scheme === 'sips') return parseSipUri(scheme, rest, where);
  if (scheme === 'tel') return parseTelUri(rest, where);
  if (scheme === 'urn') return parseUrn(rest, where);
  if (rest === '') fail(`empty URI after "${schemeRaw}:"`, where);
  return { scheme, opaque: rest };
}

export function formatUri(u: Uri): string {
  if (isSipUri(u)) {
    let s = `${u.scheme}:`;
    if (u.user !== undefined) s += u.password !== undefined ? `${u.user}:${u.password}@` : `${u.user}@`;
    s += u.host;
    if (u.port !== undefined) s += `:${u.port}`;
    s += u.params.toString();
    if (u.headers.length > 0) s += `?${u.headers.map(([n, v]) => `${n}=${v}`).join('&')}`;
    return s;
  }
  if (isTelUri(u)) return `tel:${u.number}${u.params.toString()}`;
  if (isUrnUri(u)) return `urn:${u.nid}:${u.nss}`;
  return `${u.scheme}:${(u as OtherUri).opaque}`;
}

/** Build a sip:/sips: URI from parts. */
export function sipUri(parts: Partial<Omit<SipUri, 'params'>> & { host: string; params?: Params }): SipUri {
  const u: SipUri = { scheme: parts.scheme ?? 'sip', host: parts.host, params: parts.params ?? new Params(), headers: parts.headers ?? [] };
  if (parts.user !== undefined) u.user = parts.user;
  if (parts.password !== undefined) u.password = parts.password;
  if (parts.port !== undefined) u.port = parts.port;
  return u;
}

/** Deep copy of a URI. */
export function cloneUri<T extends Uri>(u: T): T {
  if (isSipUri(u)) return { ...u, params: u.params.clone(), headers: u.headers.map(([n, v]) => [n, v]) } as T;
  if (isTelUri(u)) return { ...u, params: u.params.clone() } as T;
  return { ...u };
}
