// INVITE client transaction, RFC 3261 17.1.1 with RFC 6026 7.2, and CANCEL (9.1).
import assert from 'node:assert/strict';
import { createResponse } from '../../../../../daemon/sip/response.js';
import type { SipMessage, SipRequest, SipResponse } from '../../../../../daemon/sip/message.js';
import type { TransactionTimeoutError, TransactionTransportError } from '../../../../../daemon/sip/transactions/index.js';
import { Harness, outgoing, PEER, settle } from './harness.js';

function record() {
  const log = { responses: [] as number[], timeouts: [] as TransactionTimeoutError[], errors: [] as TransactionTransportError[], terminated: 0 };
  const handlers = {
    onResponse: (r: SipResponse) => void log.responses.push(r.status),
    onTimeout: (e: TransactionTimeoutError) => void log.timeouts.push(e),
    onTransportError: (e: TransactionTransportError) => void log.errors.push(e),
    onTerminated: () => void log.terminated++,
  };
  return { log, handlers };
}

const isReq = (method: string) => (m: SipMessage) => m.isRequest() && m.method === method;

describe('INVITE client transaction (RFC 3261 17.1.1, RFC 6026)', () => {
  it('over UDP with T1=500, Timer A retransmits at 0.5, 1.5, 3.5, 7.5, 15.5, 31.5 s and Timer B fires at 32 s', () => {
    const h = new Harness();
    const { log, handlers } = record();
    const tx = h.layer.sendInvite(outgoing('INVITE'), PEER, handlers);
    assert.equal(tx.state, 'Calling');
    h.clock.advance(31999);
    assert.deepEqual(h.sentTimes(), [0, 500, 1500, 3500, 7500, 15500, 31500]);
    assert.equal(log.timeouts.length, 0);
    h.clock.advance(1);
    assert.equal(log.timeouts[0]?.timer, 'B');
    assert.equal(tx.state, 'Terminated');
    assert.equal(log.terminated, 1);
    assert.equal(h.clock.pending, 0);
  });

  it('over TCP, sends once (no Timer A) and Timer B still fires at 64*T1', () => {
    const h = new Harness({ timers: { T1: 250 } });
    const { log, handlers } = record();
    h.layer.sendInvite(outgoing('INVITE'), { ...PEER, protocol: 'tcp' }, handlers);
    h.clock.advance(15999);
    assert.equal(log.timeouts.length, 0);
    h.clock.advance(1);
    assert.deepEqual(h.sentTimes(), [0]);
    assert.equal(log.timeouts[0]?.timer, 'B');
    assert.equal(h.clock.pending, 0);
  });

  it('a provisional response moves it to Proceeding: retransmissions and Timer B stop', () => {
    const h = new Harness();
    const { log, handlers } = record();
    const tx = h.layer.sendInvite(outgoing('INVITE'), PEER, handlers);
    h.clock.advance(600);
    h.deliverResponse(createResponse(h.sent[0].msg as SipRequest, 180, { toTag: 'b1' }));
    assert.equal(tx.state, 'Proceeding');
    h.clock.advance(120000);
    assert.deepEqual(h.sentTimes(), [0, 500]);
    assert.deepEqual(log.responses, [180]);
    assert.equal(log.timeouts.length, 0);
    assert.equal(h.clock.pending, 0);
  });

  it('a 486 is ACKed by the transaction as 17.1.1.3 says; retransmitted 486 gets the ACK again, not passed up; Timer D = 32 s on UDP', () => {
    const h = new Harness();
    const { log, handlers } = record();
    const tx = h.layer.sendInvite(outgoing('INVITE', { cseq: 5, routes: ['<sip:pcscf.example;lr>', '<sip:scscf.example;lr>'] }), PEER, handlers);
    const invite = h.sent[0].msg as SipRequest;
    const busy = createResponse(invite, 486, { toTag: 'busy1' });
    h.deliverResponse(busy);
    assert.equal(tx.state, 'Completed');
    assert.deepEqual(log.responses, [486]);
    const ack = h.lastSent().msg as SipRequest;
    assert.equal(ack.method, 'ACK');
    assert.equal(h.lastSent().dest, PEER);
    assert.equal(ack.headers.getAll('Via').length, 1);
    assert.equal(ack.headers.getAll('Via')[0], invite.headers.getAll('Via')[0]);
    assert.equal(ack.uri.scheme, 'sip');
    assert.equal(ack.toTag, 'busy1');
    assert.equal(ack.fromTag, 'alice1');
    assert.equal(ack.callId, invite.callId);
    assert.deepEqual(ack.cseq, { seq: 5, method: 'ACK' });
    assert.deepEqual(ack.headers.getAll('Route'), ['<sip:pcscf.example;lr>', '<sip:scscf.example;lr>']);
    h.clock.advance(10000);
    h.deliverResponse(busy);
    assert.deepEqual(log.responses, [486]);
    assert.equal(h.sent.filter((s) => isReq('ACK')(s.msg)).length, 2);
    h.clock.advance(21999);
    assert.equal(tx.state, 'Completed');
    h.clock.advance(1);
    assert.equal(tx.state, 'Terminated');
    assert.equal(h.clock.pending, 0);
    assert.equal(h.sent.filter((s) => isReq('INVITE')(s.msg)).length, 1, 'no INVITE retransmission after the final response');
  });

  it('Timer D is 0 over TCP: terminated right after the ACK', () => {
    const h = new Harness();
    const tx = h.layer.sendInvite(outgoing('INVITE'), { ...PEER, protocol: 'tcp' });
    h.deliverResponse(createResponse(h.sent[0].msg as SipRequest, 603, { toTag: 'x' }), 'tcp');
    assert.equal(h.lastSent().msg.isRequest() && (h.lastSent().msg as SipRequest).method, 'ACK');
    assert.equal(tx.state, 'Terminated');
    assert.equal(h.clock.pending, 0);
  });

  it('a 2xx moves it to Accepted (RFC 6026): further 2xx reach the TU, no ACK from the transaction, Timer M = 64*T1', () => {
    const h = new Harness();
    const { log, handlers } = record();
    const tx = h.layer.sendInvite(outgoing('INVITE'), PEER, handlers);
    const invite = h.sent[0].msg as SipRequest;
    h.deliverResponse(createResponse(invite, 200, { toTag: 'fork1' }));
    assert.equal(tx.state, 'Accepted');
    h.deliverResponse(createResponse(invite, 200, { toTag: 'fork1' })); // retransmission
    h.deliverResponse(createResponse(invite, 200, { toTag: 'fork2' })); // another fork
    h.deliverResponse(createResponse(invite, 486, { toTag: 'fork3' })); // absorbed
    assert.deepEqual(log.responses, [200, 200, 200]);
    assert.equal(h.sent.length, 1, 'the transaction sends no ACK for 2xx');
    h.clock.advance(31999);
    assert.equal(tx.state, 'Accepted');
    h.clock.advance(1);
    assert.equal(tx.state, 'Terminated');
    assert.equal(h.clock.pending, 0);
    // after Timer M a 2xx retransmission is a stray response: the TU re-sends its ACK (13.2.2.4)
    h.deliverResponse(createResponse(invite, 200, { toTag: 'fork1' }));
    assert.equal(h.strayResponses.length, 1);
    assert.equal(h.strayResponses[0].message.status, 200);
  });

  it('Proceeding → Accepted on a 2xx after provisionals; every provisional reaches the TU', () => {
    const h = new Harness();
    const { log, handlers } = record();
    const tx = h.layer.sendInvite(outgoing('INVITE'), PEER, handlers);
    const invite = h.sent[0].msg as SipRequest;
    h.deliverResponse(createResponse(invite, 100));
    h.deliverResponse(createResponse(invite, 183, { toTag: 'e1' }));
    h.deliverResponse(createResponse(invite, 183, { toTag: 'e1' })); // e.g. a reliable 183 retransmitted: the TU decides (RFC 3262)
    assert.equal(tx.state, 'Proceeding');
    h.deliverResponse(createResponse(invite, 200, { toTag: 'e1' }));
    assert.equal(tx.state, 'Accepted');
    assert.deepEqual(log.responses, [100, 183, 183, 200]);
  });

  it('an INVITE the transport moved to TCP (18.1.1) stops Timer A; its ACK and CANCEL go over TCP too', async () => {
    const h = new Harness();
    h.resolveWith = { protocol: 'tcp' };
    const tx = h.layer.sendInvite(outgoing('INVITE'), PEER);
    await settle();
    assert.equal(tx.effectiveDestination.protocol, 'tcp');
    h.clock.advance(10000);
    assert.deepEqual(h.sentTimes(), [0]);
    h.deliverResponse(createResponse(h.sent[0].msg as SipRequest, 180, { toTag: 'r' }), 'tcp');
    tx.cancel();
    assert.equal(h.lastSent().dest.protocol, 'tcp');
    h.deliverResponse(createResponse(h.sent[0].msg as SipRequest, 487, { toTag: 'r' }), 'tcp');
    assert.equal((h.lastSent().msg as SipRequest).method, 'ACK');
    assert.equal(h.lastSent().dest.protocol, 'tcp');
    assert.equal(tx.state, 'Terminated', 'Timer D = 0 on the reliable transport');
  });

  it('a transport error on the INVITE is reported and ends it (17.1.4)', async () => {
    const h = new Harness();
    const { log, handlers } = record();
    h.failWith = new Error('EHOSTUNREACH');
    const tx = h.layer.sendInvite(outgoing('INVITE'), PEER, handlers);
    await settle();
    assert.equal(log.errors.length, 1);
    assert.equal(tx.state, 'Terminated');
    assert.equal(h.clock.pending, 0);
  });

  describe('CANCEL (RFC 3261 9.1)', () => {
    it('waits for a provisional response, then sends CANCEL with the INVITE branch, Route and CSeq number; 487 is ACKed', () => {
      const h = new Harness();
      const { log, handlers } = record();
      const cancelLog = record();
      const tx = h.layer.sendInvite(outgoing('INVITE', { cseq: 9, routes: ['<sip:pcscf.example;lr>'] }), PEER, handlers);
      const invite = h.sent[0].msg as SipRequest;
      assert.equal(tx.cancel({ handlers: cancelLog.handlers, headers: [['Reason', 'SIP;cause=487;text="Call Cancelled"']] }), 'pending');
      h.clock.advance(1000);
      assert.equal(h.sent.filter((s) => isReq('CANCEL')(s.msg)).length, 0, 'no CANCEL before a provisional response');
      h.deliverResponse(createResponse(invite, 180, { toTag: 'b1' }));
      const cancel = h.lastSent().msg as SipRequest;
      assert.equal(cancel.method, 'CANCEL');
      assert.equal(cancel.headers.getAll('Via').length, 1);
      assert.equal(cancel.topVia.params.get('branch'), tx.branch);
      assert.deepEqual(cancel.cseq, { seq: 9, method: 'CANCEL' });
      assert.deepEqual(cancel.headers.getAll('Route'), ['<sip:pcscf.example;lr>']);
      assert.equal(cancel.toTag, undefined, 'To as in the INVITE');
      assert.equal(cancel.headers.get('Reason'), 'SIP;cause=487;text="Call Cancelled"');
      assert.ok(tx.cancelTransaction);
      // the 200 to the CANCEL goes to the CANCEL's transaction only
      h.deliverResponse(createResponse(cancel, 200, { toTag: 'b1' }));
      assert.deepEqual(cancelLog.log.responses, [200]);
      assert.deepEqual(log.responses, [180]);
      h.deliverResponse(createResponse(invite, 487, { toTag: 'b1' }));
      assert.deepEqual(log.responses, [180, 487]);
      assert.equal((h.lastSent().msg as SipRequest).method, 'ACK');
      assert.equal(tx.state, 'Completed');
      h.clock.advance(60000);
      assert.equal(h.clock.pending, 0);
      assert.deepEqual(h.layer.size, { clients: 0, servers: 0 });
    });

    it('sends at once in Proceeding, only once, and not after a final response', () => {
      const h = new Harness();
      const tx = h.layer.sendInvite(outgoing('INVITE'), PEER);
      h.deliverResponse(createResponse(h.sent[0].msg as SipRequest, 183, { toTag: 'b' }));
      assert.equal(tx.cancel(), 'sent');
      assert.equal(tx.cancel(), 'too-late');
      assert.equal(h.sent.filter((s) => isReq('CANCEL')(s.msg)).length, 1);
      const h2 = new Harness();
      const tx2 = h2.layer.sendInvite(outgoing('INVITE'), PEER);
      h2.deliverResponse(createResponse(h2.sent[0].msg as SipRequest, 200, { toTag: 'b' }));
      assert.equal(tx2.cancel(), 'too-late');
    });

    it('a pending CANCEL is dropped when a final response comes first', () => {
      const h = new Harness();
      const tx = h.layer.sendInvite(outgoing('INVITE'), PEER);
      assert.equal(tx.cancel(), 'pending');
      h.deliverResponse(createResponse(h.sent[0].msg as SipRequest, 200, { toTag: 'b' }));
      assert.equal(h.sent.filter((s) => isReq('CANCEL')(s.msg)).length, 0);
    });

    it('without a final response 64*T1 after the CANCEL, the INVITE transaction gives up', () => {
      const h = new Harness();
      const { log, handlers } = record();
      const tx = h.layer.sendInvite(outgoing('INVITE'), { ...PEER, protocol: 'tcp' }, handlers);
      h.deliverResponse(createResponse(h.sent[0].msg as SipRequest, 180, { toTag: 'b' }), 'tcp');
      h.clock.advance(5000);
      tx.cancel();
      h.clock.advance(31999);
      assert.equal(log.timeouts.length, 0);
      h.clock.advance(1);
      assert.equal(log.timeouts[0]?.timer, 'cancel');
      assert.equal(tx.state, 'Terminated');
      assert.equal(h.clock.pending, 0);
    });
  });
});
