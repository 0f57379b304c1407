// Security mechanism agreement headers (RFC 3329) with the ipsec-3gpp mechanism parameters of
// TS 33.203 annex H and TS 24.229 7.2A.7: alg, ealg, spi-c, spi-s, port-c, port-s, prot, mod, q.
import type { EncryptionAlgorithm, IntegrityAlgorithm } from '../../ipsec/types.js';
import { SecAgreeError } from './errors.js';

export interface SecMechanism {
  mechanism: 'ipsec-3gpp';
  alg: IntegrityAlgorithm;
  ealg: EncryptionAlgorithm;
  spiC: number;
  spiS: number;
  portC: number;
  portS: number;
  /** RFC 3329 2.2 preference (Security-Server) */
  q?: number;
  /** the header value exactly as received (Security-Verify echoes it, RFC 3329 2.3.1 / TS 33.203 7.2) */
  raw: string;
}

export const INTEGRITY_ALGORITHMS: readonly IntegrityAlgorithm[] = ['hmac-sha-1-96', 'hmac-md5-96'];
export const ENCRYPTION_ALGORITHMS: readonly EncryptionAlgorithm[] = ['null', 'aes-cbc', 'des-ede3-cbc'];

export interface AlgorithmPair {
  alg: IntegrityAlgorithm;
  ealg: EncryptionAlgorithm;
}

/** Every pair we support, most preferred first (TS 33.203 6.1: null encryption must be supported). */
export const FULL_OFFER: readonly AlgorithmPair[] = [
  { alg: 'hmac-sha-1-96', ealg: 'null' },
  { alg: 'hmac-sha-1-96', ealg: 'aes-cbc' },
  { alg: 'hmac-md5-96', ealg: 'null' },
  { alg: 'hmac-md5-96', ealg: 'aes-cbc' },
];

/**
 * What we offer unless configured: every pair. REGISTER then outgrows 1300 bytes and goes over TCP
 * (RFC 3261 18.1.1), so the P-CSCF must listen on TCP too (the lab's does).
 */
export const DEFAULT_OFFER: readonly AlgorithmPair[] = FULL_OFFER;

export interface UeSecurityParams {
  spiC: number;
  spiS: number;
  portC: number;
  portS: number;
}

/** Security-Client values, one per offered algorithm pair (TS 24.229 5.1.1.2.1). */
export function buildSecurityClient(ue: UeSecurityParams, offer: readonly AlgorithmPair[] = DEFAULT_OFFER): string[] {
  return offer.map(
    (o) => `ipsec-3gpp;alg=${o.alg};ealg=${o.ealg};spi-c=${ue.spiC};spi-s=${ue.spiS};port-c=${ue.portC};port-s=${ue.portS}`,
  );
}

function u32(v: string | undefined, name: string, raw: string, max = 2 ** 32 - 1): number {
  if (v === undefined) throw new SecAgreeError(`${name} missing in "${raw}"`);
  if (!/^\d{1,10}$/.test(v) || Number(v) > max) throw new SecAgreeError(`${name}="${v}" is not a valid number in "${raw}"`);
  return Number(v);
}

/**
 * Parse one security-mechanism value. Returns undefined for a mechanism other than ipsec-3gpp
 * (e.g. "digest", "tls": RFC 3329 lets a server offer several); throws SecAgreeError when an
 * ipsec-3gpp value is malformed.
 */
export function parseSecurityMechanism(raw: string): SecMechanism | undefined {
  const parts = raw.split(';').map((p) => p.trim());
  const mech = parts[0]?.toLowerCase();
  if (mech !== 'ipsec-3gpp') return undefined;
  const params = new Map<string, string>();
  for (const p of parts.slice(1)) {
    if (p === '') continue;
    const eq = p.indexOf('=');
    const name = (eq < 0 ? p : p.slice(0, eq)).trim().toLowerCase();
    const value = eq < 0 ? '' : p.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
    params.set(name, value);
  }
  const alg = params.get('alg');
  if (alg === undefined) throw new SecAgreeError(`alg missing in "${raw}"`);
  if (!(INTEGRITY_ALGORITHMS as readonly string[]).includes(alg)) throw new SecAgreeError(`unsupported integrity algorithm "${alg}"`, 'unsupported');
  // TS 33.203 annex H: ealg absent means null encryption
  const ealg = params.get('ealg') ?? 'null';
  if (!(ENCRYPTION_ALGORITHMS as readonly string[]).includes(ealg)) throw new SecAgreeError(`unsupported encryption algorithm "${ealg}"`, 'unsupported');
  const q = params.get('q');
  const m: SecMechanism = {
    mechanism: 'ipsec-3gpp',
    alg: alg as IntegrityAlgorithm,
    ealg: ealg as EncryptionAlgorithm,
    spiC: u32(params.get('spi-c'), 'spi-c', raw),
    spiS: u32(params.get('spi-s'), 'spi-s', raw),
    portC: u32(params.get('port-c'), 'port-c', raw, 65535),
    portS: u32(params.get('port-s'), 'port-s', raw, 65535),
    raw,
  };
  if (q !== undefined) {
    const n = Number(q);
    if (!/^[01](\.\d{0,3})?$/.test(q) || n > 1) throw new SecAgreeError(`q="${q}" is not a qvalue in "${raw}"`);
    m.q = n;
  }
  if (m.portC === 0 || m.portS === 0) throw new SecAgreeError(`port 0 offered in "${raw}"`);
  return m;
}

/**
 * RFC 3329 2.3.1 / TS 24.229 5.1.1.5.1: take the Security-Server entry with the highest q among
 * those we offered; throws SecAgreeError('missing' | 'unsupported' | 'malformed').
 */
export function chooseMechanism(securityServer: string[], offer: readonly AlgorithmPair[] = DEFAULT_OFFER): SecMechanism {
  if (securityServer.length === 0) throw new SecAgreeError('401 without Security-Server', 'missing');
  const candidates: SecMechanism[] = [];
  let firstError: SecAgreeError | undefined;
  for (const raw of securityServer) {
    try {
      const m = parseSecurityMechanism(raw);
      if (m && offer.some((o) => o.alg === m.alg && o.ealg === m.ealg)) candidates.push(m);
    } catch (e) {
      if (!(e instanceof SecAgreeError)) throw e;
      firstError ??= e;
    }
  }
  if (candidates.length === 0) {
    if (firstError && firstError.kind === 'malformed') throw firstError;
    throw new SecAgreeError(`no offered algorithm in Security-Server: ${securityServer.join(', ')}`, 'unsupported');
  }
  // highest q first; ties keep the server's order (stable sort)
  return [...candidates].sort((a, b) => (b.q ?? 0) - (a.q ?? 0))[0]!;
}
