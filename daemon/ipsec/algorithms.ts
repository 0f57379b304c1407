// ESP algorithms and keys from IMS AKA's IK and CK (TS 33.203 Annex I: key expansion for ESP;
// algorithm set per TS 33.203 6.3 and RFC 3329 / TS 24.229 7.2A.7). Keys are never rendered to text here.
import { IpsecInputError, type EncryptionAlgorithm, type IntegrityAlgorithm } from './types.js';

export interface EspKeys {
  authName: string;
  authKey: Buffer;
  authTruncBits: number;
  encName: string;
  encKey: Buffer;
}

export const INTEGRITY_ALGORITHMS: readonly IntegrityAlgorithm[] = ['hmac-sha-1-96', 'hmac-md5-96'];
export const ENCRYPTION_ALGORITHMS: readonly EncryptionAlgorithm[] = ['null', 'aes-cbc', 'des-ede3-cbc'];

export function deriveEspKeys(integrity: string, encryption: string, ik: Buffer, ck: Buffer): EspKeys {
  if (!INTEGRITY_ALGORITHMS.includes(integrity as IntegrityAlgorithm)) throw new IpsecInputError(`unsupported integrity algorithm ${JSON.stringify(integrity)}`);
  if (!ENCRYPTION_ALGORITHMS.includes(encryption as EncryptionAlgorithm)) throw new IpsecInputError(`unsupported encryption algorithm ${JSON.stringify(encryption)}`);
  if (!Buffer.isBuffer(ik) || ik.length !== 16) throw new IpsecInputError(`IK must be 128 bits, got ${Buffer.isBuffer(ik) ? ik.length * 8 : 'no'} bits`);
  if (encryption !== 'null' && (!Buffer.isBuffer(ck) || ck.length !== 16)) {
    throw new IpsecInputError(`CK must be 128 bits, got ${Buffer.isBuffer(ck) ? ck.length * 8 : 'no'} bits`);
  }
  // TS 33.203 I.1: hmac-md5-96 takes IK as is; hmac-sha-1-96 takes IK || 32 zero bits (160 bits)
  const auth = integrity === 'hmac-md5-96'
    ? { authName: 'hmac(md5)', authKey: Buffer.from(ik) }
    : { authName: 'hmac(sha1)', authKey: Buffer.concat([ik, Buffer.alloc(4)]) };
  let enc: { encName: string; encKey: Buffer };
  switch (encryption as EncryptionAlgorithm) {
    case 'null':
      enc = { encName: 'ecb(cipher_null)', encKey: Buffer.alloc(0) };
      break;
    case 'aes-cbc':
      enc = { encName: 'cbc(aes)', encKey: Buffer.from(ck) }; // TS 33.203 I.2: AES-CBC 128 bit key is CK
      break;
    case 'des-ede3-cbc':
      // TS 33.203 I.2: CK = CK1 || CK2 (64 bits each); the 192-bit key is CK1 || CK2 || CK1
      enc = { encName: 'cbc(des3_ede)', encKey: Buffer.concat([ck, ck.subarray(0, 8)]) };
      break;
  }
  return { ...auth, authTruncBits: 96, ...enc };
}
