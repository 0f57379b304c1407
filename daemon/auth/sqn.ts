// USIM sequence-number management (3GPP TS 33.102 Annex C.2/C.3): SQN = SEQ || IND with an
// array of the highest accepted SEQ per IND. Pure functions; the caller persists the state.

export interface SqnPolicy {
  /** Number of IND bits (Annex C.3.2 suggests 5: an array of 32 entries). */
  indBits: number;
  /** Annex C.2.2: reject SEQ - SEQ_MS > delta (protection against counter wrap-around). */
  delta: number;
  /** Annex C.2.2 optional age limit L: reject SEQ_MS - SEQ >= L; undefined disables it. */
  ageLimit?: number;
}

export const DEFAULT_SQN_POLICY: SqnPolicy = { indBits: 5, delta: 2 ** 28 };

/** Highest accepted SEQ for each IND value. SEQ is at most 43 bits, so it fits a JS number. */
export interface SqnState {
  seqMs: number[];
}

export function initialSqnState(policy: SqnPolicy = DEFAULT_SQN_POLICY): SqnState {
  return { seqMs: new Array<number>(2 ** policy.indBits).fill(0) };
}

const SQN_BITS = 48;

export function sqnToNumber(sqn: Buffer): number {
  return sqn.readUIntBE(0, 6);
}

export function numberToSqn(value: number): Buffer {
  const b = Buffer.alloc(6);
  b.writeUIntBE(value, 0, 6);
  return b;
}

export function splitSqn(sqn: number, policy: SqnPolicy): { seq: number; ind: number } {
  const indRange = 2 ** policy.indBits;
  return { seq: Math.floor(sqn / indRange), ind: sqn % indRange };
}

export type SqnVerdict = { accepted: true; state: SqnState } | { accepted: false; reason: string };

/** Annex C.2.2: is the received SQN fresh? Returns the state to keep if it is. */
export function checkFreshness(sqnValue: number, state: SqnState, policy: SqnPolicy): SqnVerdict {
  if (state.seqMs.length !== 2 ** policy.indBits) {
    return { accepted: false, reason: `SQN state has ${state.seqMs.length} entries, policy needs ${2 ** policy.indBits}` };
  }
  const { seq, ind } = splitSqn(sqnValue, policy);
  const seqMsMax = Math.max(...state.seqMs);
  if (seq - seqMsMax > policy.delta) return { accepted: false, reason: 'SEQ too far ahead (delta)' };
  if (seq <= state.seqMs[ind]!) return { accepted: false, reason: `SEQ not above the one accepted for IND ${ind}` };
  if (policy.ageLimit !== undefined && seqMsMax - seq >= policy.ageLimit) {
    return { accepted: false, reason: 'SEQ older than the age limit L' };
  }
  const seqMs = state.seqMs.slice();
  seqMs[ind] = seq;
  return { accepted: true, state: { seqMs } };
}

/** SQN_MS sent in AUTS: the highest previously accepted SQN (its SEQ with the IND it was kept under). */
export function highestAcceptedSqn(state: SqnState, policy: SqnPolicy): number {
  let ind = 0;
  for (let i = 1; i < state.seqMs.length; i++) if (state.seqMs[i]! > state.seqMs[ind]!) ind = i;
  const value = state.seqMs[ind]! * 2 ** policy.indBits + ind;
  return value % 2 ** SQN_BITS;
}
