import assert from 'node:assert/strict';
import { InviteClientDialogs } from '../../../../../daemon/sip/dialogs/invite-client-dialogs.js';
import { formatUri } from '../../../../../daemon/sip/uri.js';
import { ALICE_CONTACT, aliceInvite, bobResponse } from './messages.js';

describe('sip/dialogs/invite-client-dialogs (forking, RFC 3261 12.1.2, 13.2.2.4)', () => {
  it('keeps one early dialog per To tag, confirms the one answered by 2xx and ends the others', () => {
    const inv = aliceInvite();
    const forks = new InviteClientDialogs(inv, { localContact: ALICE_CONTACT });
    assert.equal(forks.receive(bobResponse(inv, 100, 'ignored')).kind, 'provisional');
    const a = forks.receive(bobResponse(inv, 180, 'fA', ['Contact: <sip:bob@198.51.100.1>']));
    const b = forks.receive(bobResponse(inv, 183, 'fB', ['Contact: <sip:bob@198.51.100.2>']));
    const a2 = forks.receive(bobResponse(inv, 183, 'fA', ['Contact: <sip:bob@198.51.100.1>']));
    assert.ok(a.kind === 'early' && a.created && b.kind === 'early' && b.created);
    assert.ok(a2.kind === 'early' && !a2.created && a2.dialog === a.dialog);
    assert.equal(forks.dialogs.length, 2);
    assert.notEqual(a.dialog, b.dialog);

    const ok = forks.receive(bobResponse(inv, 200, 'fB', ['Contact: <sip:bob@198.51.100.2>']));
    assert.equal(ok.kind, 'confirmed');
    assert.ok(ok.kind === 'confirmed');
    assert.equal(ok.dialog, b.dialog);
    assert.deepEqual(ok.terminated, [a.dialog]);
    assert.equal(a.dialog.state, 'terminated');
    assert.equal(b.dialog.state, 'confirmed');
    assert.equal(forks.accepted, b.dialog);

    const again = forks.receive(bobResponse(inv, 200, 'fB', ['Contact: <sip:bob@198.51.100.2>']));
    assert.deepEqual(again, { kind: '2xx-retransmission', dialog: b.dialog });

    // the fork that rang first answers late: a dialog to ACK and BYE
    const late = forks.receive(bobResponse(inv, 200, 'fA', ['Contact: <sip:bob@198.51.100.1:5999>']));
    assert.equal(late.kind, 'extra-2xx');
    assert.ok(late.kind === 'extra-2xx');
    assert.equal(late.dialog.state, 'confirmed');
    assert.equal(late.dialog.remoteTag, 'fA');
    const ack = late.dialog.createRequest('ACK', { cseq: inv.cseq.seq });
    const bye = late.dialog.createRequest('BYE');
    assert.equal(formatUri(ack.uri), 'sip:bob@198.51.100.1:5999');
    assert.equal(ack.toTag, 'fA');
    assert.deepEqual(ack.cseq, { seq: 10, method: 'ACK' });
    assert.deepEqual(bye.cseq, { seq: 11, method: 'BYE' });
    assert.equal(bye.toTag, 'fA');
    assert.equal(forks.accepted, b.dialog, 'the first answer stays the call');
    // its retransmission is only re-acknowledged
    assert.equal(forks.receive(bobResponse(inv, 200, 'fA', ['Contact: <sip:bob@198.51.100.1:5999>'])).kind, '2xx-retransmission');
  });

  it('a 2xx without earlier 1xx creates the confirmed dialog directly', () => {
    const inv = aliceInvite();
    const forks = new InviteClientDialogs(inv, { localContact: ALICE_CONTACT });
    const ok = forks.receive(bobResponse(inv, 200, 'x', ['Contact: <sip:bob@198.51.100.3>']));
    assert.ok(ok.kind === 'confirmed' && ok.dialog.state === 'confirmed' && ok.terminated.length === 0);
  });

  it('a final error ends every early dialog, and later 1xx create none', () => {
    const inv = aliceInvite();
    const forks = new InviteClientDialogs(inv, { localContact: ALICE_CONTACT });
    const a = forks.receive(bobResponse(inv, 180, 'fA'));
    const fail = forks.receive(bobResponse(inv, 486, 'fB'));
    assert.ok(fail.kind === 'failed' && a.kind === 'early');
    assert.deepEqual(fail.terminated, [a.dialog]);
    assert.equal(a.dialog.state, 'terminated');
    assert.equal(forks.receive(bobResponse(inv, 180, 'fC')).kind, 'provisional');
  });

  it('only takes INVITEs', () => {
    const inv = aliceInvite();
    inv.method = 'OPTIONS';
    assert.throws(() => new InviteClientDialogs(inv, { localContact: ALICE_CONTACT }), /not an INVITE/);
  });
});
