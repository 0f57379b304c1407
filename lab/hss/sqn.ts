// Sequence numbers of the HE/AuC (TS 33.102 6.3.2, Annex C). SQN is 48 bits, split as
// SEQ || IND with IND the IND_BITS least significant bits (Annex C.1.1, C.3.2).
import { HssConfigError } from './errors.js';

export const SQN_MAX = (1n << 48n) - 1n;
export const IND_BITS = 5n;
const IND_MASK = (1n << IND_BITS) - 1n;

/**
 * Annex C.3.2 (SEQ not time-based): every new vector takes SEQ = SEQ_HE + 1, and the index IND
 * advances cyclically (C.1.2), so consecutive vectors use distinct array slots in the USIM.
 */
export function nextSqn(sqn: bigint): bigint {
  const seq = (sqn >> IND_BITS) + 1n;
  const ind = ((sqn & IND_MASK) + 1n) & IND_MASK;
  const next = (seq << IND_BITS) | ind;
  if (next > SQN_MAX) throw new HssConfigError('SQN exhausted (SEQ reached its maximum)');
  return next;
}

export function sqnToBuffer(sqn: bigint): Buffer {
  const out = Buffer.alloc(6);
  out.writeUIntBE(Number(sqn), 0, 6);
  return out;
}

export function sqnFromBuffer(buf: Buffer): bigint {
  return BigInt(buf.readUIntBE(0, 6));
}
