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

/** The functions of one RAND: TEMP = E_K(RAND xor OPc) is computed once and shared. */
export interface MilenageRun {
  /** f2: RES, 8 bytes */
  readonly res: Buffer;
  /** f5: AK, 6 bytes */
  readonly ak: Buffer;
  /** f3: CK, 16 bytes */
  ck(): Buffer;
  /** f4: IK, 16 bytes */
  ik(): Buffer;
  /** f5*: AK*, 6 bytes */
  akStar(): Buffer;
  /** f1 and f1*: MAC-A and MAC-S over SQN and AMF */
  f1(sqn: Buffer, amf: Buffer): { macA: Buffer; macS: Buffer };
}

/**
 * MILENAGE keyed once with K and OPc: the AES key schedule is set up in the constructor, so a SIM
 * answering many challenges does not redo it.
 */
export class Milenage {
  readonly #encrypt: (block: Buffer) => Buffer;
  readonly #opc: Buffer;

  constructor(k: Buffer, opc: Buffer) {
    expectLength('K', k, 16);
    expectLength('OPc', opc, 16);
    this.#encrypt = aesEncryptor(k);
    this.#opc = Buffer.from(opc);
  }

  run(rand: Buffer): MilenageRun {
    expectLength('RAND', rand, 16);
    const encrypt = this.#encrypt;
    const opc = this.#opc;
    const temp = encrypt(xor(rand, opc));
    // OUTi = E_K(rot(TEMP xor OPc, ri) xor ci) xor OPc, i = 2..5. ECB encrypts each block on its
    // own, so the four blocks go through the cipher in one call (each call has a fixed cost
    // that dwarfs one AES block).
    const tempOpc = xor(temp, opc);
    const outs = encrypt(Buffer.concat([1, 2, 3, 4].map((i) => xor(rotate(tempOpc, R[i]!), C[i]!))));
    const out = (i: number): Buffer => xor(outs.subarray((i - 1) * 16, i * 16), opc);
    const out2 = out(1);
    return {
      res: out2.subarray(8, 16),
      ak: out2.subarray(0, 6),
      ck: () => out(2),
      ik: () => out(3),
      akStar: () => out(4).subarray(0, 6),
      f1: (sqn, amf) => {
        expectLength('SQN', sqn, 6);
        expectLength('AMF', amf, 2);
        // OUT1 = E_K(TEMP xor rot(IN1 xor OPc, r1) xor c1) xor OPc, IN1 = SQN||AMF||SQN||AMF
        const in1 = Buffer.concat([sqn, amf, sqn, amf]);
        const out1 = xor(encrypt(xor(xor(temp, rotate(xor(in1, opc), R[0]!)), C[0]!)), opc);
        return { macA: out1.subarray(0, 8), macS: out1.subarray(8, 16) };
      },
    };
  }
}

/** Runs f1..f5* for one RAND. SQN and AMF feed only f1/f1*. */
export function milenage(k: Buffer, opc: Buffer, rand: Buffer, sqn: Buffer, amf: Buffer): MilenageOutput {
  expectLength('K', k, 16);
  expectLength('OPc', opc, 16);
  expectLength('RAND', rand, 16);
  expectLength('SQN', sqn, 6);
  expectLength('AMF', amf, 2);
  const r = new Milenage(k, opc).run(rand);
  const { macA, macS } = r.f1(sqn, amf);
  return { macA, macS, res: r.res, ak: r.ak, ck: r.ck(), ik: r.ik(), akStar: r.akStar() };
}
