import assert from 'node:assert/strict';
import { Dialog } from '../../../../../daemon/sip/dialogs/dialog.js';
import { createPrack, ReliableProvisionalReceiver } from '../../../../../daemon/sip/reliable-provisional/uac.js';
import { ALICE_CONTACT, aliceInvite, bobResponse } from '../dialogs/messages.js';

describe('sip/reliable-provisional/uac (RFC 3262 4)', () => {
  const inv = aliceInvite(['Supported: 100rel']);
  const rel = (status: number, rseq: number | string) =>
    bobResponse(inv, status, 'b1', ['Require: 100rel', `RSeq: ${rseq}`, 'Contact: <sip:bob@198.51.100.20>']);

  it('acknowledges in order only: first any RSeq, then previous+1; drops repeats and gaps', () => {
    const r = new ReliableProvisionalReceiver();
    assert.deepEqual(r.receive(bobResponse(inv, 180, 'b1')), { kind: 'unreliable' });
    assert.deepEqual(r.receive(rel(183, 4711)), { kind: 'new', rack: { rseq: 4711, cseq: 10, method: 'INVITE' } });
    assert.deepEqual(r.receive(rel(183, 4711)), { kind: 'retransmission', rseq: 4711 });
    assert.deepEqual(r.receive(rel(180, 4713)), { kind: 'out-of-order', rseq: 4713, expected: 4712 });
    assert.deepEqual(r.receive(rel(180, 4712)), { kind: 'new', rack: { rseq: 4712, cseq: 10, method: 'INVITE' } });
    assert.deepEqual(r.receive(rel(180, 4713)), { kind: 'new', rack: { rseq: 4713, cseq: 10, method: 'INVITE' } });
    assert.equal(r.lastRseq, 4713);
  });

  it('calls a 100rel provisional without usable RSeq invalid', () => {
    const r = new ReliableProvisionalReceiver();
    assert.equal(r.receive(bobResponse(inv, 183, 'b1', ['Require: 100rel'])).kind, 'invalid');
    const bad = rel(183, 1);
    bad.headers.set('RSeq', 'x'); // the parser refuses this on the wire; a hand-built message may not
    assert.equal(r.receive(bad).kind, 'invalid');
  });

  it('builds the PRACK in the early dialog with RAck and the next CSeq', () => {
    const r183 = rel(183, 99);
    const d = Dialog.asUac(inv, r183, { localContact: ALICE_CONTACT });
    const v = new ReliableProvisionalReceiver().receive(r183);
    assert.ok(v.kind === 'new');
    const p = createPrack(d, v.rack);
    assert.equal(p.method, 'PRACK');
    assert.equal(p.headers.get('RAck'), '99 10 INVITE');
    assert.deepEqual(p.cseq, { seq: 11, method: 'PRACK' });
    assert.equal(p.toTag, 'b1');
  });
});
