// Branch parameters (RFC 3261 8.1.1.7): unique per transaction, starting with the magic cookie.
import { randomBytes } from 'node:crypto';

export const MAGIC_COOKIE = 'z9hG4bK';

/** Randomness source for branches: returns a fresh token-safe string each call. */
export type RandomToken = () => string;

export const defaultRandomToken: RandomToken = () => randomBytes(12).toString('base64url').replace(/[-_]/g, 'x');

export function newBranch(random: RandomToken = defaultRandomToken): string {
  return MAGIC_COOKIE + random();
}

export function isRfc3261Branch(branch: string | null | undefined): branch is string {
  return typeof branch === 'string' && branch.startsWith(MAGIC_COOKIE);
}
