import assert from 'node:assert/strict';
import { Dialog } from '../../../../../daemon/sip/dialogs/dialog.js';
import { DialogStateError } from '../../../../../daemon/sip/dialogs/errors.js';
import { sequenceRandom } from '../../../../../daemon/sip/dialogs/random.js';
import { formatUri } from '../../../../../daemon/sip/uri.js';
import { formatNameAddr } from '../../../../../daemon/sip/header-values.js';
import { ALICE_CONTACT, aliceInvite, bobResponse, na, request } from './messages.js';

const BOB_CONTACT = na('<sip:bob@198.51.100.20:5070>');

describe('sip/dialogs/dialog', () => {
  describe('UAC side (RFC 3261 12.1.2)', () => {
    it('takes its identity, reversed Record-Route and Contact from a 180 with To tag, as an early dialog', () => {
      const inv = aliceInvite();
      const r180 = bobResponse(inv, 180, 'b1', [
        'Record-Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>',
        'Contact: <sip:bob@198.51.100.20:5070>',
      ]);
      const d = Dialog.asUac(inv, r180, { localContact: ALICE_CONTACT });
      assert.deepEqual(d.id, { callId: 'call-1@192.0.2.10', localTag: 'a1', remoteTag: 'b1' });
      assert.equal(d.state, 'early');
      assert.equal(d.localSeq, 10);
      assert.equal(d.remoteSeq, undefined);
      assert.deepEqual(d.routeSet.map(formatNameAddr), ['<sip:p2.example.com;lr>', '<sip:p1.example.com;lr>']);
      assert.equal(formatUri(d.remoteTarget), 'sip:bob@198.51.100.20:5070');
      assert.equal(d.secure, false);
    });

    it('recomputes the route set and target from the 2xx that confirms it (13.2.2.4)', () => {
      const inv = aliceInvite();
      const d = Dialog.asUac(inv, bobResponse(inv, 183, 'b1', ['Record-Route: <sip:old.example.com;lr>']), {
        localContact: ALICE_CONTACT,
      });
      assert.equal(formatUri(d.remoteTarget), 'sip:bob@example.com', 'no Contact in the 183: Request-URI');
      d.confirmWith(
        bobResponse(inv, 200, 'b1', [
          'Record-Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>',
          'Contact: <sip:bob@198.51.100.20:5070>',
        ]),
      );
      assert.equal(d.state, 'confirmed');
      assert.deepEqual(d.routeSet.map((r) => formatUri(r.uri)), ['sip:p2.example.com;lr', 'sip:p1.example.com;lr']);
      assert.equal(formatUri(d.remoteTarget), 'sip:bob@198.51.100.20:5070');
    });

    it('refuses responses that create no dialog', () => {
      const inv = aliceInvite();
      assert.throws(() => Dialog.asUac(inv, bobResponse(inv, 486, 'b1'), { localContact: ALICE_CONTACT }), DialogStateError);
      const noTag = bobResponse(inv, 180, 'x');
      noTag.headers.set('To', '<sip:bob@example.com>');
      assert.throws(() => Dialog.asUac(inv, noTag, { localContact: ALICE_CONTACT }), /without To tag/);
    });

    it('marks a dialog for a sips Request-URI secure', () => {
      const inv = aliceInvite();
      inv.uri = { ...(inv.uri as object), scheme: 'sips' } as typeof inv.uri;
      const d = Dialog.asUac(inv, bobResponse(inv, 200, 'b1', ['Contact: <sips:bob@example.net>']), { localContact: ALICE_CONTACT });
      assert.equal(d.secure, true);
    });
  });

  describe('in-dialog requests (12.2.1.1)', () => {
    function confirmedUac(recordRoute?: string): Dialog {
      const inv = aliceInvite();
      const extra = ['Contact: <sip:bob@198.51.100.20:5070>'];
      if (recordRoute) extra.push(`Record-Route: ${recordRoute}`);
      return Dialog.asUac(inv, bobResponse(inv, 200, 'b1', extra), { localContact: ALICE_CONTACT });
    }

    it('loose routing: Request-URI is the remote target, Route the route set; CSeq counts up by one', () => {
      const d = confirmedUac('<sip:p1.example.com;lr>, <sip:p2.example.com;lr>');
      const bye = d.createRequest('BYE');
      assert.equal(formatUri(bye.uri), 'sip:bob@198.51.100.20:5070');
      assert.deepEqual(bye.headers.getAll('Route'), ['<sip:p2.example.com;lr>', '<sip:p1.example.com;lr>']);
      assert.equal(bye.headers.get('From'), 'Alice <sip:alice@example.com>;tag=a1');
      assert.equal(bye.headers.get('To'), '<sip:bob@example.com>;tag=b1');
      assert.equal(bye.callId, 'call-1@192.0.2.10');
      assert.deepEqual(bye.cseq, { seq: 11, method: 'BYE' });
      assert.equal(bye.headers.has('Contact'), false, 'BYE is no target refresh');
      assert.equal(bye.maxForwards, 70);
      const upd = d.createRequest('UPDATE', { body: 'v=0\r\n', contentType: 'application/sdp' });
      assert.deepEqual(upd.cseq, { seq: 12, method: 'UPDATE' });
      assert.equal(upd.headers.get('Contact'), '<sip:alice@192.0.2.10:5060>');
      assert.equal(upd.contentType, 'application/sdp');
      assert.equal(d.localSeq, 12);
    });

    it('no route set: no Route header at all', () => {
      const req = confirmedUac().createRequest('INFO');
      assert.equal(req.headers.has('Route'), false);
      assert.equal(formatUri(req.uri), 'sip:bob@198.51.100.20:5070');
    });

    it('strict routing: the first route becomes the Request-URI and the remote target the last Route', () => {
      const d = confirmedUac('<sip:p1.example.com;lr>, <sip:strict.example.com;method=INVITE>');
      const req = d.createRequest('BYE');
      assert.equal(formatUri(req.uri), 'sip:strict.example.com');
      assert.deepEqual(req.headers.getAll('Route'), ['<sip:p1.example.com;lr>', '<sip:bob@198.51.100.20:5070>']);
    });

    it('ACK reuses the INVITE CSeq number and CANCEL is refused here', () => {
      const d = confirmedUac();
      const ack = d.createRequest('ACK', { cseq: 10 });
      assert.deepEqual(ack.cseq, { seq: 10, method: 'ACK' });
      assert.equal(d.localSeq, 10, 'ACK does not use up a CSeq number');
      assert.throws(() => d.createRequest('ACK'), DialogStateError);
      assert.throws(() => d.createRequest('CANCEL'), /createCancel/);
    });

    it('a terminated dialog builds no more requests', () => {
      const d = confirmedUac();
      d.terminate();
      assert.throws(() => d.createRequest('BYE'), DialogStateError);
      assert.equal(d.createRequest('ACK', { cseq: 10 }).method, 'ACK', 'a late 2xx is still acknowledged');
    });

    it('a 2xx to a target refresh replaces the remote target, other responses do not (12.2.1.2)', () => {
      const d = confirmedUac();
      const upd = d.createRequest('UPDATE');
      const res200 = bobResponse(upd, 200, 'b1', ['Contact: <sip:bob@198.51.100.99:5080>']);
      d.receiveResponse('BYE', res200);
      assert.equal(formatUri(d.remoteTarget), 'sip:bob@198.51.100.20:5070');
      d.receiveResponse('UPDATE', bobResponse(upd, 491, 'b1', ['Contact: <sip:bob@198.51.100.98>']));
      assert.equal(formatUri(d.remoteTarget), 'sip:bob@198.51.100.20:5070');
      d.receiveResponse('UPDATE', res200);
      assert.equal(formatUri(d.remoteTarget), 'sip:bob@198.51.100.99:5080');
    });
  });

  describe('UAS side (12.1.1, 12.2.2)', () => {
    function bobReceives(): { d: Dialog; inv: ReturnType<typeof aliceInvite> } {
      const inv = aliceInvite(['Record-Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>']);
      const d = Dialog.asUas(inv, 'b1', { localContact: BOB_CONTACT, random: sequenceRandom([500]) });
      return { d, inv };
    }

    it('takes Record-Route in order, Contact as target, From tag as remote tag and the INVITE CSeq', () => {
      const { d } = bobReceives();
      assert.deepEqual(d.id, { callId: 'call-1@192.0.2.10', localTag: 'b1', remoteTag: 'a1' });
      assert.deepEqual(d.routeSet.map((r) => formatUri(r.uri)), ['sip:p1.example.com;lr', 'sip:p2.example.com;lr']);
      assert.equal(formatUri(d.remoteTarget), 'sip:alice@192.0.2.10:5060');
      assert.equal(d.remoteSeq, 10);
      assert.equal(d.localSeq, undefined);
      assert.equal(d.state, 'early');
      d.confirm();
      assert.equal(d.state, 'confirmed');
    });

    it('its first request draws a random initial CSeq, then counts up; To/From are swapped', () => {
      const { d } = bobReceives();
      const bye = d.createRequest('BYE');
      assert.deepEqual(bye.cseq, { seq: 500, method: 'BYE' });
      assert.equal(bye.headers.get('From'), '<sip:bob@example.com>;tag=b1');
      assert.equal(bye.headers.get('To'), 'Alice <sip:alice@example.com>;tag=a1');
      assert.deepEqual(bye.headers.getAll('Route'), ['<sip:p1.example.com;lr>', '<sip:p2.example.com;lr>']);
      assert.deepEqual(d.createRequest('INFO').cseq.seq, 501);
    });

    it('rejects a request with a lower CSeq with 500 and applies target refreshes', () => {
      const { d } = bobReceives();
      const inDialog = (method: string, seq: number, contact?: string) =>
        request([
          `${method} sip:bob@198.51.100.20:5070 SIP/2.0`,
          'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-x' + seq,
          'From: "Alice" <sip:alice@example.com>;tag=a1',
          'To: <sip:bob@example.com>;tag=b1',
          'Call-ID: call-1@192.0.2.10',
          `CSeq: ${seq} ${method}`,
          ...(contact ? [`Contact: ${contact}`] : []),
        ]);
      assert.deepEqual(d.receiveRequest(inDialog('ACK', 10)), { accept: true });
      assert.deepEqual(d.receiveRequest(inDialog('UPDATE', 12, '<sip:alice@192.0.2.11:5062>')), { accept: true });
      assert.equal(d.remoteSeq, 12);
      assert.equal(formatUri(d.remoteTarget), 'sip:alice@192.0.2.11:5062');
      const late = d.receiveRequest(inDialog('INFO', 11));
      assert.equal(late.accept, false);
      assert.equal(!late.accept && late.status, 500);
      assert.equal(d.remoteSeq, 12, 'an out-of-order request changes nothing');
      d.receiveRequest(inDialog('INFO', 13, '<sip:alice@192.0.2.99>'));
      assert.equal(formatUri(d.remoteTarget), 'sip:alice@192.0.2.11:5062', 'INFO is no target refresh');
      d.terminate();
      const after = d.receiveRequest(inDialog('BYE', 14));
      assert.equal(!after.accept && after.status, 481);
    });

    it('refuses an INVITE without Contact', () => {
      const inv = aliceInvite();
      inv.headers.remove('Contact');
      assert.throws(() => Dialog.asUas(inv, 'b1', { localContact: BOB_CONTACT }), DialogStateError);
    });
  });
});
