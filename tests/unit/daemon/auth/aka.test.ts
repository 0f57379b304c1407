import { strict as assert } from 'node:assert';
import { authenticate, DEFAULT_AKA_POLICY, type AkaKeys } from '../../../../daemon/auth/aka.js';
import { milenage } from '../../../../daemon/auth/milenage.js';
import { initialSqnState, numberToSqn, sqnToNumber, type SqnState } from '../../../../daemon/auth/sqn.js';
import { xor } from '../../../../daemon/auth/bytes.js';

const keys: AkaKeys = {
  k: Buffer.from('465b5ce8b199b49faa5f0a2ee238a6bc', 'hex'),
  opc: Buffer.from('cd63cb71954a9f4e48a5994e37a02baf', 'hex'),
};
const rand = Buffer.from('23553cbe9637a89d218ae64dae47bf35', 'hex');
const amf = Buffer.from('8000', 'hex');

// Network side, computed here from Milenage directly (TS 33.102 6.3.2): AUTN = SQN^AK || AMF || MAC-A.
function autnFor(sqn: number, r = rand, a = amf): Buffer {
  const m = milenage(keys.k, keys.opc, r, numberToSqn(sqn), a);
  return Buffer.concat([xor(numberToSqn(sqn), m.ak), a, m.macA]);
}
const sqnOf = (seq: number, ind: number): number => seq * 32 + ind;

describe('auth/aka (TS 33.102 6.3.3, Annex C)', () => {
  it('accepts a fresh AUTN and returns RES, CK, IK of Milenage and the updated SQN array', () => {
    const r = authenticate(keys, rand, autnFor(sqnOf(5, 3)), initialSqnState());
    assert.equal(r.kind, 'ok');
    if (r.kind !== 'ok') return;
    const m = milenage(keys.k, keys.opc, rand, numberToSqn(sqnOf(5, 3)), amf);
    assert.ok(r.res.equals(m.res) && r.ck.equals(m.ck) && r.ik.equals(m.ik));
    assert.equal(sqnToNumber(r.sqn), sqnOf(5, 3));
    assert.equal(r.state.seqMs[3], 5);
  });

  it('reports mac-failure when any bit of MAC-A or of SQN^AK is wrong', () => {
    for (const byte of [0, 5, 8, 15]) {
      const autn = autnFor(sqnOf(5, 3));
      autn[byte]! ^= 0x01;
      assert.deepEqual(authenticate(keys, rand, autn, initialSqnState()), { kind: 'mac-failure' });
    }
  });

  it('answers a replayed AUTN with AUTS that a network recovers SQN_MS from (f5*, f1* with AMF 0000)', () => {
    const first = authenticate(keys, rand, autnFor(sqnOf(7, 1)), initialSqnState());
    assert.equal(first.kind, 'ok');
    const state = (first as { state: SqnState }).state;
    const replay = authenticate(keys, rand, autnFor(sqnOf(7, 1)), state);
    assert.equal(replay.kind, 'sync-failure');
    if (replay.kind !== 'sync-failure') return;
    assert.equal(replay.auts.length, 14);
    // Network side: AK* from RAND only, then SQN_MS, then check MAC-S.
    const ak = milenage(keys.k, keys.opc, rand, Buffer.alloc(6), Buffer.alloc(2)).akStar;
    const sqnMs = xor(replay.auts.subarray(0, 6), ak);
    assert.equal(sqnToNumber(sqnMs), sqnOf(7, 1));
    const macS = milenage(keys.k, keys.opc, rand, sqnMs, Buffer.alloc(2)).macS;
    assert.ok(macS.equals(replay.auts.subarray(6)));
  });

  it('keeps one SEQ per IND: an older SEQ under another IND is accepted, under the same IND it is not', () => {
    let state = initialSqnState();
    for (const [seq, ind] of [[10, 0], [9, 1]] as const) {
      const r = authenticate(keys, rand, autnFor(sqnOf(seq, ind)), state);
      assert.equal(r.kind, 'ok', `SEQ ${seq} IND ${ind}`);
      state = (r as { state: SqnState }).state;
    }
    assert.equal(authenticate(keys, rand, autnFor(sqnOf(9, 0)), state).kind, 'sync-failure');
  });

  it('rejects a SEQ more than delta ahead (wrap-around protection, Annex C.2.2)', () => {
    const policy = { ...DEFAULT_AKA_POLICY, delta: 100 };
    assert.equal(authenticate(keys, rand, autnFor(sqnOf(101, 0)), initialSqnState(), policy).kind, 'sync-failure');
    assert.equal(authenticate(keys, rand, autnFor(sqnOf(100, 0)), initialSqnState(), policy).kind, 'ok');
  });

  it('enforces the AMF separation bit only when the policy asks for it', () => {
    const autn = autnFor(sqnOf(5, 0), rand, Buffer.from('0000', 'hex'));
    assert.equal(authenticate(keys, rand, autn, initialSqnState()).kind, 'ok');
    const eps = { ...DEFAULT_AKA_POLICY, requireSeparationBit: true };
    assert.equal(authenticate(keys, rand, autn, initialSqnState(), eps).kind, 'amf-failure');
  });

  it('rejects RAND/AUTN of the wrong length with a typed error', () => {
    assert.throws(() => authenticate(keys, rand.subarray(1), autnFor(1), initialSqnState()), /RAND must be 16 bytes/);
    assert.throws(() => authenticate(keys, rand, Buffer.alloc(15), initialSqnState()), /AUTN must be 16 bytes/);
  });
});
