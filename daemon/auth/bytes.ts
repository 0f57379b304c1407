// Small byte helpers shared by the auth room.
import { timingSafeEqual } from 'node:crypto';
import { AuthInputError } from './errors.js';

export function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

/** Constant-time comparison of two equal-length buffers (false when lengths differ). */
export function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

export function expectLength(name: string, value: Buffer, length: number): void {
  if (!Buffer.isBuffer(value) || value.length !== length) {
    const got = Buffer.isBuffer(value) ? `${value.length} bytes` : typeof value;
    throw new AuthInputError(`${name} must be ${length} bytes, got ${got}`);
  }
}

/** Parses a hex string of an exact byte length; the error names the field, never the value. */
export function hexField(name: string, hex: string, length: number): Buffer {
  if (typeof hex !== 'string' || !/^[0-9a-fA-F]*$/.test(hex) || hex.length !== length * 2) {
    throw new AuthInputError(`${name} must be ${length * 2} hex digits`);
  }
  return Buffer.from(hex, 'hex');
}
