// The USIM/ISIM side of UMTS AKA as used by IMS AKA (3GPP TS 33.102 6.3.3, TS 33.203 6.1):
// verify AUTN = SQN xor AK || AMF || MAC-A, then answer RES/CK/IK, or AUTS on a stale SQN.
import { Milenage } from './milenage.js';
import { expectLength, sameBytes, xor } from './bytes.js';
import {
  checkFreshness, DEFAULT_SQN_POLICY, highestAcceptedSqn, numberToSqn, sqnToNumber,
  type SqnPolicy, type SqnState,
} from './sqn.js';

export interface AkaKeys {
  k: Buffer;
  opc: Buffer;
}

/** A card keeps its Milenage instance (AES key schedule done once); raw keys work too. */
export type AkaCredentials = AkaKeys | Milenage;

const milenageOf = (c: AkaCredentials): Milenage => (c instanceof Milenage ? c : new Milenage(c.k, c.opc));

export interface AkaPolicy extends SqnPolicy {
  /**
   * TS 33.102 Annex H / TS 33.401 6.1.1: AMF bit 0 is the "separation bit". An ME doing EPS AKA
   * rejects AUTN with it unset; IMS AKA on the ISIM does not look at it, so this defaults to false.
   */
  requireSeparationBit: boolean;
}

export const DEFAULT_AKA_POLICY: AkaPolicy = { ...DEFAULT_SQN_POLICY, requireSeparationBit: false };

export type AkaResult =
  | { kind: 'ok'; res: Buffer; ck: Buffer; ik: Buffer; sqn: Buffer; state: SqnState }
  | { kind: 'sync-failure'; auts: Buffer; reason: string }
  | { kind: 'mac-failure' }
  | { kind: 'amf-failure' };

/** AUTS = SQN_MS xor AK* || MAC-S, with MAC-S = f1*(SQN_MS, RAND, AMF = 0000) (TS 33.102 6.3.3). */
export function computeAuts(keys: AkaCredentials, rand: Buffer, sqnMs: Buffer): Buffer {
  const run = milenageOf(keys).run(rand);
  return Buffer.concat([xor(sqnMs, run.akStar()), run.f1(sqnMs, Buffer.alloc(2)).macS]);
}

export function authenticate(
  keys: AkaCredentials,
  rand: Buffer,
  autn: Buffer,
  state: SqnState,
  policy: AkaPolicy = DEFAULT_AKA_POLICY,
): AkaResult {
  expectLength('RAND', rand, 16);
  expectLength('AUTN', autn, 16);
  const sqnXorAk = autn.subarray(0, 6);
  const amf = autn.subarray(6, 8);
  const macA = autn.subarray(8, 16);

  // AK depends only on RAND; SQN = (SQN xor AK) xor AK then feeds f1 for XMAC-A.
  const m = milenageOf(keys);
  const run = m.run(rand);
  const sqn = xor(sqnXorAk, run.ak);
  if (!sameBytes(run.f1(sqn, amf).macA, macA)) return { kind: 'mac-failure' };
  if (policy.requireSeparationBit && (amf[0]! & 0x80) === 0) return { kind: 'amf-failure' };

  const verdict = checkFreshness(sqnToNumber(sqn), state, policy);
  if (!verdict.accepted) {
    const sqnMs = numberToSqn(highestAcceptedSqn(state, policy));
    return { kind: 'sync-failure', auts: computeAuts(m, rand, sqnMs), reason: verdict.reason };
  }
  return { kind: 'ok', res: run.res, ck: run.ck(), ik: run.ik(), sqn, state: verdict.state };
}
