// Injectable randomness for tags, Call-IDs, initial CSeq and RSeq numbers and retry delays,
// so tests can pin every value (RFC 3261 19.3: tags need at least 32 bits of randomness).
import { randomBytes, randomInt } from 'node:crypto';

export interface Random {
  /** a uniformly chosen integer in [min, max] (both inclusive) */
  int(min: number, max: number): number;
  /** a fresh token usable as a tag, branch suffix or Call-ID (token characters only) */
  token(): string;
}

export const cryptoRandom: Random = {
  int(min, max) {
    // crypto.randomInt's upper bound is exclusive and its range must stay below 2**48
    return randomInt(min, max + 1);
  },
  token() {
    return randomBytes(8).toString('hex');
  },
};

/** A predictable Random for tests: tokens "t1", "t2", ... and ints from a list (or min). */
export function sequenceRandom(ints: number[] = [], prefix = 't'): Random {
  let n = 0;
  const queue = [...ints];
  return {
    int(min, max) {
      const v = queue.length > 0 ? (queue.shift() as number) : min;
      if (v < min || v > max) throw new RangeError(`sequenceRandom: ${v} not in [${min}, ${max}]`);
      return v;
    },
    token() {
      n += 1;
      return `${prefix}${n}`;
    },
  };
}
