// MILENAGE, the 3GPP example algorithm set for f1, f1*, f2, f3, f4, f5, f5* (3GPP TS 35.206),
// built on AES-128 as kernel function E_K. Validated against the 20 test sets of TS 35.208.
import { createCipheriv } from 'node:crypto';
import { expectLength, xor } from './bytes.js';

export interface MilenageOutput {
  /** f1: network authentication code, 8 bytes */
  macA: Buffer;
  /** f1*: resynchronisation authentication code, 8 bytes */
  macS: Buffer;
  /** f2: RES / XRES, 8 bytes */
  res: Buffer;
  /** f3: cipher key, 16 bytes */
  ck: Buffer;
  /** f4: integrity key, 16 bytes */
  ik: Buffer;
  /** f5: anonymity key, 6 bytes */
  ak: Buffer;
  /** f5*: anonymity key for resynchronisation, 6 bytes */
  akStar: Buffer;
}

// TS 35.206 4.1: constants c1..c5 (128 bits) and rotation amounts r1..r5 (bits; all byte aligned).
const C = [0, 1, 2, 4, 8].map((last) => {
  const c = Buffer.alloc(16);
  c[15] = last;
  return c;
});
const R = [64, 0, 32, 64, 96];

/** Cyclic left rotation of a 128-bit block by r bits (r a multiple of 8). */
function rotate(x: Buffer, r: number): Buffer {
  const bytes = r / 8;
  return Buffer.concat([x.subarray(bytes), x.subarray(0, bytes)]);
}

function aesEncryptor(k: Buffer): (block: Buffer) => Buffer {
  // ECB keeps no state between blocks, so one cipher serves every block of a run.
  const cipher = createCipheriv('aes-128-ecb', k, null);
  cipher.setAutoPadding(false);
  return (block) => cipher.update(block);
}

/** OPc = OP xor E_K(OP) (TS 35.206 4.1). */
export function computeOpc(k: Buffer, op: Buffer): Buffer {
  expectLength('K', k, 16);
  expectLength('OP', op, 16);
  return xor(aesEncryptor(k)(op), op);
}

/** Runs f1..f5* for one RAND. SQN and AMF feed only f1/f1*. */
export function milenage(k: Buffer, opc: Buffer, rand: Buffer, sqn: Buffer, amf: Buffer): MilenageOutput {
  expectLength('K', k, 16);
  expectLength('OPc', opc, 16);
  expectLength('RAND', rand, 16);
  expectLength('SQN', sqn, 6);
  expectLength('AMF', amf, 2);
  const encrypt = aesEncryptor(k);
  const temp = encrypt(xor(rand, opc));

  // OUT1 = E_K(TEMP xor rot(IN1 xor OPc, r1) xor c1) xor OPc, IN1 = SQN||AMF||SQN||AMF
  const in1 = Buffer.concat([sqn, amf, sqn, amf]);
  const out1 = xor(encrypt(xor(xor(temp, rotate(xor(in1, opc), R[0]!)), C[0]!)), opc);

  // OUTi = E_K(rot(TEMP xor OPc, ri) xor ci) xor OPc, i = 2..5
  const tempOpc = xor(temp, opc);
  const out = (i: number): Buffer => xor(encrypt(xor(rotate(tempOpc, R[i]!), C[i]!)), opc);
  const out2 = out(1);
  const out5 = out(4);

  return {
    macA: out1.subarray(0, 8),
    macS: out1.subarray(8, 16),
    res: out2.subarray(8, 16),
    ak: out2.subarray(0, 6),
    ck: out(2),
    ik: out(3),
    akStar: out5.subarray(0, 6),
  };
}
