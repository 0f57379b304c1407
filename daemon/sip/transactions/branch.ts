// Branch parameters (RFC 3261 8.1.1.7): unique per transaction, starting with the magic cookie.
import { randomBytes } from 'node:crypto';

export const MAGIC_COOKIE = 'z9hG4bK';

/** Randomness source for branches: returns a fresh token-safe string each call. */
export type RandomToken = () => string;

// 12 random bytes (96 bits) per token, drawn from a pool refilled 128 tokens at a time
const TOKEN_BYTES = 12;
let pool: Buffer = Buffer.alloc(0);
let offset = 0;

export const defaultRandomToken: RandomToken = () => {
  if (offset + TOKEN_BYTES > pool.length) {
    pool = randomBytes(TOKEN_BYTES * 128);
    offset = 0;
  }
  const token = pool.toString('base64url', offset, offset + TOKEN_BYTES).replace(/[-_]/g, 'x');
  offset += TOKEN_BYTES;
  return token;
};

export function newBranch(random: RandomToken = defaultRandomToken): string {
  return MAGIC_COOKIE + random();
}

export function isRfc3261Branch(branch: string | null | undefined): branch is string {
  return typeof branch === 'string' && branch.startsWith(MAGIC_COOKIE);
}
