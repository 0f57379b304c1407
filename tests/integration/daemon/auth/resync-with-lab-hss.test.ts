// The UE side (daemon/auth/aka) against the network side written separately for the lab's HSS
// (lab/hss): a stale SQN yields AUTS, the HSS recovers SQN_MS from it, and its next vector is accepted.
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { authenticate } from '../../../../daemon/auth/aka.js';
import { initialSqnState, type SqnState } from '../../../../daemon/auth/sqn.js';
import { authVector, verifyAuts } from '../../../../lab/hss/aka-vectors.js';
import { nextSqn } from '../../../../lab/hss/sqn.js';

const sub = {
  k: Buffer.from('465b5ce8b199b49faa5f0a2ee238a6bc', 'hex'),
  opc: Buffer.from('cd63cb71954a9f4e48a5994e37a02baf', 'hex'),
  amf: Buffer.from('8000', 'hex'),
};

describe('AKA resynchronisation: UE (daemon/auth) against the lab HSS (lab/hss)', () => {
  it('round-trips AUTS and accepts the fresh vector, RES matching XRES', () => {
    // The card has already accepted SEQ 1000 under IND 0; the HSS lags behind at SEQ 3.
    const state: SqnState = initialSqnState();
    state.seqMs[0] = 1000;
    const stale = authVector(sub, randomBytes(16), 3n * 32n);
    const sync = authenticate(sub, stale.rand, stale.autn, state);
    assert.equal(sync.kind, 'sync-failure');
    if (sync.kind !== 'sync-failure') return;

    const resync = verifyAuts(sub, Buffer.concat([stale.rand, sync.auts]));
    assert.deepEqual(resync, { ok: true, sqnMs: 1000n * 32n });
    if (!resync.ok) return;

    const fresh = authVector(sub, randomBytes(16), nextSqn(resync.sqnMs));
    const ok = authenticate(sub, fresh.rand, fresh.autn, state);
    assert.equal(ok.kind, 'ok');
    if (ok.kind !== 'ok') return;
    assert.ok(ok.res.equals(fresh.xres) && ok.ck.equals(fresh.ck) && ok.ik.equals(fresh.ik));
  });

  it('the HSS refuses an AUTS whose MAC-S was tampered with', () => {
    const state = initialSqnState();
    state.seqMs[0] = 50;
    const v = authVector(sub, randomBytes(16), 32n);
    const sync = authenticate(sub, v.rand, v.autn, state);
    assert.equal(sync.kind, 'sync-failure');
    if (sync.kind !== 'sync-failure') return;
    sync.auts[13]! ^= 0x80;
    assert.deepEqual(verifyAuts(sub, Buffer.concat([v.rand, sync.auts])), { ok: false, reason: 'mac-s-mismatch' });
  });
});
