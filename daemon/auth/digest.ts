// HTTP Digest as SIP uses it (RFC 2617 via RFC 3261 22.4) with the AKA algorithms of
// RFC 3310 (AKAv1-MD5: password = RES) and RFC 4169 (AKAv2-MD5: password derived from RES||IK||CK).
import { createHash, createHmac } from 'node:crypto';
import { AuthError } from './errors.js';

export class DigestError extends AuthError {}

export type DigestAlgorithm = 'MD5' | 'AKAv1-MD5' | 'AKAv2-MD5';
export type Qop = 'auth' | 'auth-int';

export interface DigestChallenge {
  realm: string;
  nonce: string;
  algorithm: DigestAlgorithm;
  /** qop options offered (empty: RFC 2069 compatibility, no qop). */
  qop: Qop[];
  opaque?: string;
  stale: boolean;
  /** Every auth-param as received (lower-case names), e.g. ik/ck sent by some P-CSCFs. */
  params: Map<string, string>;
}

/** Splits `name=value, name="quoted, value"` auth-params (RFC 2617 1.2; RFC 3261 25.1 quoted-string). */
export function parseAuthParams(text: string): Map<string, string> {
  const params = new Map<string, string>();
  let i = 0;
  const n = text.length;
  const skip = (): void => { while (i < n && /[\s,]/.test(text[i]!)) i++; };
  skip();
  while (i < n) {
    const nameMatch = /^[A-Za-z0-9\-_.!%*+`'~]+/.exec(text.slice(i));
    if (!nameMatch) throw new DigestError(`malformed auth-param at offset ${i}`);
    const name = nameMatch[0].toLowerCase();
    i += nameMatch[0].length;
    while (i < n && /\s/.test(text[i]!)) i++;
    if (text[i] !== '=') throw new DigestError(`auth-param "${name}" has no value`);
    i++;
    while (i < n && /\s/.test(text[i]!)) i++;
    let value = '';
    if (text[i] === '"') {
      i++;
      let closed = false;
      while (i < n) {
        const c = text[i]!;
        if (c === '\\' && i + 1 < n) { value += text[i + 1]; i += 2; continue; }
        if (c === '"') { closed = true; i++; break; }
        value += c;
        i++;
      }
      if (!closed) throw new DigestError(`auth-param "${name}" has an unterminated quoted string`);
    } else {
      const tok = /^[^\s,]*/.exec(text.slice(i))![0];
      value = tok;
      i += tok.length;
    }
    if (params.has(name)) throw new DigestError(`auth-param "${name}" appears twice`);
    params.set(name, value);
    while (i < n && /\s/.test(text[i]!)) i++;
    if (i < n && text[i] !== ',') throw new DigestError(`expected "," after auth-param "${name}"`);
    skip();
  }
  return params;
}

function splitScheme(header: string): { scheme: string; rest: string } {
  const m = /^\s*([A-Za-z][A-Za-z0-9-]*)\s+([\s\S]*)$/.exec(header);
  if (!m) throw new DigestError('missing authentication scheme');
  return { scheme: m[1]!, rest: m[2]! };
}

export function parseAlgorithm(value: string | undefined): DigestAlgorithm {
  if (value === undefined) return 'MD5'; // RFC 2617 3.2.1: absent means MD5
  switch (value.toLowerCase()) {
    case 'md5': return 'MD5';
    case 'akav1-md5': return 'AKAv1-MD5';
    case 'akav2-md5': return 'AKAv2-MD5';
    default: throw new DigestError(`unsupported digest algorithm "${value}"`);
  }
}

/** Parses a WWW-Authenticate or Proxy-Authenticate value. */
export function parseChallenge(header: string): DigestChallenge {
  const { scheme, rest } = splitScheme(header);
  if (scheme.toLowerCase() !== 'digest') throw new DigestError(`unsupported authentication scheme "${scheme}"`);
  const params = parseAuthParams(rest);
  const realm = params.get('realm');
  const nonce = params.get('nonce');
  if (realm === undefined) throw new DigestError('challenge has no realm');
  if (nonce === undefined) throw new DigestError('challenge has no nonce');
  const qop = (params.get('qop') ?? '').split(',').map((q) => q.trim().toLowerCase())
    .filter((q): q is Qop => q === 'auth' || q === 'auth-int');
  const opaque = params.get('opaque');
  return {
    realm, nonce, algorithm: parseAlgorithm(params.get('algorithm')), qop,
    ...(opaque !== undefined ? { opaque } : {}),
    stale: (params.get('stale') ?? '').toLowerCase() === 'true',
    params,
  };
}

export interface AkaNonce {
  rand: Buffer;
  autn: Buffer;
  serverData: Buffer;
}

/** RFC 3310 3.2: nonce = base64(RAND || AUTN || server-specific data). */
export function decodeAkaNonce(nonce: string): AkaNonce {
  const compact = nonce.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 !== 0) {
    throw new DigestError('AKA nonce is not valid base64');
  }
  const bytes = Buffer.from(compact, 'base64');
  if (bytes.length < 32) throw new DigestError(`AKA nonce carries ${bytes.length} bytes, needs at least 32 (RAND and AUTN)`);
  return { rand: bytes.subarray(0, 16), autn: bytes.subarray(16, 32), serverData: bytes.subarray(32) };
}

/** The digest password for an AKA result (RFC 3310 3.3, RFC 4169 3). */
export function akaPassword(algorithm: DigestAlgorithm, res: Buffer, ik: Buffer, ck: Buffer): Buffer {
  if (algorithm === 'AKAv1-MD5') return res;
  if (algorithm === 'AKAv2-MD5') {
    const prf = createHmac('md5', Buffer.concat([res, ik, ck])).update('http-digest-akav2-password').digest();
    return Buffer.from(prf.toString('base64'), 'latin1');
  }
  throw new DigestError(`algorithm ${algorithm} is not an AKA algorithm`);
}

export interface DigestInput {
  username: string;
  realm: string;
  /** Raw bytes: an AKA RES may hold any byte value, so it is never turned into a string. */
  password: Buffer;
  method: string;
  uri: string;
  nonce: string;
  qop?: Qop;
  nc?: number;
  cnonce?: string;
  /** Message body, for qop=auth-int. */
  body?: Buffer;
}

const md5hex = (...parts: (string | Buffer)[]): string => {
  const h = createHash('md5');
  parts.forEach((p, i) => { if (i > 0) h.update(':'); h.update(p); });
  return h.digest('hex');
};

export const formatNc = (nc: number): string => nc.toString(16).padStart(8, '0');

/** request-digest of RFC 2617 3.2.2.1 (MD5 and the AKA algorithms share it). */
export function computeResponse(d: DigestInput): string {
  const ha1 = md5hex(d.username, d.realm, d.password);
  let ha2: string;
  if (d.qop === 'auth-int') ha2 = md5hex(d.method, d.uri, createHash('md5').update(d.body ?? Buffer.alloc(0)).digest('hex'));
  else ha2 = md5hex(d.method, d.uri);
  if (d.qop === undefined) return md5hex(ha1, d.nonce, ha2);
  if (d.nc === undefined || d.cnonce === undefined) throw new DigestError(`qop=${d.qop} needs nc and cnonce`);
  return md5hex(ha1, d.nonce, formatNc(d.nc), d.cnonce, d.qop, ha2);
}

export interface AuthorizationFields {
  username: string;
  realm: string;
  nonce: string;
  uri: string;
  response: string;
  algorithm: DigestAlgorithm;
  qop?: Qop;
  nc?: number;
  cnonce?: string;
  opaque?: string;
  /** RFC 3310 3.4: base64 AUTS on a synchronisation failure. */
  auts?: Buffer;
}

const quote = (v: string): string => `"${v.replace(/(["\\])/g, '\\$1')}"`;

/** Authorization / Proxy-Authorization value; qop, nc and algorithm are tokens, the rest quoted. */
export function formatAuthorization(f: AuthorizationFields): string {
  const parts = [
    `username=${quote(f.username)}`, `realm=${quote(f.realm)}`, `nonce=${quote(f.nonce)}`,
    `uri=${quote(f.uri)}`, `response=${quote(f.response)}`, `algorithm=${f.algorithm}`,
  ];
  if (f.qop !== undefined) parts.push(`qop=${f.qop}`, `nc=${formatNc(f.nc ?? 1)}`, `cnonce=${quote(f.cnonce ?? '')}`);
  if (f.opaque !== undefined) parts.push(`opaque=${quote(f.opaque)}`);
  if (f.auts !== undefined) parts.push(`auts=${quote(f.auts.toString('base64'))}`);
  return `Digest ${parts.join(', ')}`;
}

/** Parses an Authorization value (used by tests and the lab to check what a client sent). */
export function parseAuthorization(header: string): Map<string, string> {
  const { scheme, rest } = splitScheme(header);
  if (scheme.toLowerCase() !== 'digest') throw new DigestError(`unsupported authentication scheme "${scheme}"`);
  return parseAuthParams(rest);
}

/** Picks qop as RFC 2617 3.2.2 allows: auth when offered (no body hashing), else auth-int, else none. */
export function chooseQop(offered: Qop[]): Qop | undefined {
  if (offered.includes('auth')) return 'auth';
  if (offered.includes('auth-int')) return 'auth-int';
  return undefined;
}
