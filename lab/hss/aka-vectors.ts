// IMS AKA authentication vectors of the HE/AuC (TS 33.102 6.3.2) and resynchronisation
// (TS 33.102 6.3.5), computed with Milenage.
import { milenage } from '../../daemon/auth/milenage.js';
import { sameBytes, xor } from '../../daemon/auth/bytes.js';
import { sqnFromBuffer, sqnToBuffer } from './sqn.js';
import type { Subscriber } from './subscriber.js';

export interface AuthVector {
  rand: Buffer;
  /** AUTN = SQN xor AK || AMF || MAC-A (TS 33.102 6.3.2). */
  autn: Buffer;
  xres: Buffer;
  ck: Buffer;
  ik: Buffer;
  sqn: bigint;
}

export function authVector(sub: Pick<Subscriber, 'k' | 'opc' | 'amf'>, rand: Buffer, sqn: bigint): AuthVector {
  const sqnBytes = sqnToBuffer(sqn);
  const out = milenage(sub.k, sub.opc, rand, sqnBytes, sub.amf);
  return {
    rand,
    autn: Buffer.concat([xor(sqnBytes, out.ak), sub.amf, out.macA]),
    xres: out.res,
    ck: out.ck,
    ik: out.ik,
    sqn,
  };
}

/** TS 33.102 6.3.3: "the AMF used to calculate MAC-S assumes a dummy value of all zeros". */
const RESYNC_AMF = Buffer.alloc(2);

export type ResyncResult = { ok: true; sqnMs: bigint } | { ok: false; reason: 'bad-length' | 'mac-s-mismatch' };

/**
 * Verifies AUTS = (SQN_MS xor AK*) || MAC-S for the RAND the UE rejected (TS 33.102 6.3.5)
 * and returns SQN_MS. `randAuts` is RAND (16) || AUTS (14) as Cx carries it in
 * SIP-Authorization on a synchronisation failure (TS 29.228 6.3).
 */
export function verifyAuts(sub: Pick<Subscriber, 'k' | 'opc'>, randAuts: Buffer): ResyncResult {
  if (randAuts.length !== 30) return { ok: false, reason: 'bad-length' };
  const rand = randAuts.subarray(0, 16);
  const concSqnMs = randAuts.subarray(16, 22);
  const macS = randAuts.subarray(22, 30);
  const akStar = milenage(sub.k, sub.opc, rand, Buffer.alloc(6), RESYNC_AMF).akStar; // f5* ignores SQN/AMF
  const sqnMsBytes = xor(concSqnMs, akStar);
  const expected = milenage(sub.k, sub.opc, rand, sqnMsBytes, RESYNC_AMF).macS;
  if (!sameBytes(expected, macS)) return { ok: false, reason: 'mac-s-mismatch' };
  return { ok: true, sqnMs: sqnFromBuffer(sqnMsBytes) };
}
