// INVITE server transaction, RFC 3261 17.2.1 with RFC 6026 7.1, CANCEL (9.2) and the UAS 2xx
// retransmission helper (13.3.1.4).
import assert from 'node:assert/strict';
import { createResponse } from '../../../../../daemon/sip/response.js';
import type { SipRequest, SipResponse } from '../../../../../daemon/sip/message.js';
import type { InviteServerTransaction, TransactionTimeoutError } from '../../../../../daemon/sip/transactions/index.js';
import { Harness, incoming, settle } from './harness.js';

const statuses = (h: Harness): Array<number | string> => h.sent.map((s) => (s.msg.isResponse() ? s.msg.status : (s.msg as SipRequest).method));

function ackFor(res: SipResponse, branch = 'z9hG4bKpeer1'): string {
  return incoming('ACK', { branch, toTag: res.toTag ?? '', cseqMethod: 'ACK' });
}

function inviteTx(h: Harness, protocol: 'udp' | 'tcp' = 'udp'): InviteServerTransaction {
  h.deliverRequest(incoming('INVITE', protocol === 'tcp' ? { transport: 'TCP' } : {}), protocol, protocol === 'tcp' ? 'c1' : undefined);
  const tx = h.requests.at(-1);
  assert.ok(tx && tx.kind === 'invite');
  return tx;
}

describe('INVITE server transaction (RFC 3261 17.2.1, RFC 6026)', () => {
  it('sends 100 Trying after 200 ms when the TU has not answered, not when it has', () => {
    const h = new Harness();
    inviteTx(h);
    h.clock.advance(199);
    assert.equal(h.sent.length, 0);
    h.clock.advance(1);
    assert.deepEqual(statuses(h), [100]);
    const h2 = new Harness();
    const tx2 = inviteTx(h2);
    tx2.respond(createResponse(tx2.request, 180, { toTag: 'a' }));
    h2.clock.advance(1000);
    assert.deepEqual(statuses(h2), [180]);
    const h3 = new Harness({ autoTryingMs: null });
    inviteTx(h3);
    h3.clock.advance(1000);
    assert.equal(h3.sent.length, 0);
  });

  it('retransmitted INVITEs are absorbed and get the last provisional again (Proceeding)', () => {
    const h = new Harness({ autoTryingMs: null });
    const tx = inviteTx(h);
    h.deliverRequest(incoming('INVITE'));
    assert.equal(h.sent.length, 0);
    tx.respond(createResponse(tx.request, 180, { toTag: 'a' }));
    h.deliverRequest(incoming('INVITE'));
    assert.deepEqual(statuses(h), [180, 180]);
    assert.equal(h.requests.length, 1);
  });

  it('a 486 over UDP is retransmitted by Timer G (T1 doubling to T2) until Timer H at 64*T1, which tells the TU', () => {
    const h = new Harness({ autoTryingMs: null });
    const tx = inviteTx(h);
    const timeouts: TransactionTimeoutError[] = [];
    tx.handlers.onTimeout = (e) => void timeouts.push(e);
    tx.respond(createResponse(tx.request, 486, { toTag: 'a' }));
    assert.equal(tx.state, 'Completed');
    h.clock.advance(31999);
    assert.deepEqual(h.sentTimes(), [0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    assert.equal(timeouts.length, 0);
    h.clock.advance(1);
    assert.equal(timeouts[0]?.timer, 'H');
    assert.equal(tx.state, 'Terminated');
    assert.equal(h.clock.pending, 0);
  });

  it('the ACK for a 486 confirms it: retransmissions stop, Timer I = T4, ACK retransmissions absorbed', () => {
    const h = new Harness({ autoTryingMs: null });
    const tx = inviteTx(h);
    const res = createResponse(tx.request, 486, { toTag: 'a' });
    tx.respond(res);
    h.clock.advance(600);
    h.deliverRequest(incoming('INVITE')); // retransmission in Completed: 486 again
    h.deliverRequest(ackFor(res));
    assert.equal(tx.state, 'Confirmed');
    h.deliverRequest(ackFor(res));
    assert.equal(h.strayAcks.length, 0);
    h.clock.advance(4999);
    assert.equal(tx.state, 'Confirmed');
    h.clock.advance(1);
    assert.equal(tx.state, 'Terminated');
    assert.deepEqual(statuses(h), [486, 486, 486]);
    assert.equal(h.clock.pending, 0);
  });

  it('over TCP: no Timer G, and Timer I = 0 (terminated at the ACK)', () => {
    const h = new Harness({ autoTryingMs: null });
    const tx = inviteTx(h, 'tcp');
    const res = createResponse(tx.request, 603, { toTag: 'a' });
    tx.respond(res);
    h.clock.advance(10000);
    assert.deepEqual(statuses(h), [603]);
    h.deliverRequest(ackFor(res), 'tcp', 'c1');
    assert.equal(tx.state, 'Terminated');
    assert.equal(h.clock.pending, 0);
  });

  it('a 2xx moves it to Accepted (RFC 6026 7.1): INVITE retransmissions absorbed, the ACK goes to the TU, Timer L ends it', () => {
    const h = new Harness({ autoTryingMs: null });
    const tx = inviteTx(h);
    const ok = createResponse(tx.request, 200, { toTag: 'a' });
    tx.respond(ok);
    assert.equal(tx.state, 'Accepted');
    h.deliverRequest(incoming('INVITE'));
    assert.deepEqual(statuses(h), [200], 'the transaction does not retransmit 2xx');
    tx.respond(ok); // the TU's own retransmission passes
    assert.deepEqual(statuses(h), [200, 200]);
    // an ACK for the 2xx with a new branch (the usual case) and one with the INVITE's branch
    h.deliverRequest(ackFor(ok, 'z9hG4bKack2xx'));
    h.deliverRequest(ackFor(ok));
    assert.equal(h.strayAcks.length, 2);
    h.clock.advance(31999);
    assert.equal(tx.state, 'Accepted');
    h.clock.advance(1);
    assert.equal(tx.state, 'Terminated');
    assert.equal(h.clock.pending, 0);
  });

  it('a transport error while re-sending the final response reaches the TU (17.2.4) and ends it', async () => {
    const h = new Harness({ autoTryingMs: null });
    const tx = inviteTx(h);
    const errors: Error[] = [];
    tx.handlers.onTransportError = (e) => void errors.push(e);
    tx.respond(createResponse(tx.request, 180, { toTag: 'a' }));
    tx.respond(createResponse(tx.request, 183, { toTag: 'a' }));
    tx.respond(createResponse(tx.request, 480, { toTag: 'a' }));
    h.failWith = new Error('ENOBUFS');
    h.clock.advance(500); // Timer G
    await settle();
    assert.equal(errors.length, 1);
    assert.equal(tx.state, 'Terminated');
    assert.equal(h.clock.pending, 0);
    assert.deepEqual(statuses(h), [180, 183, 480]);
  });

  it('respond2xx re-sends the 2xx at T1 doubling to T2 until the ACK arrives (13.3.1.4)', () => {
    const h = new Harness({ autoTryingMs: null });
    const tx = inviteTx(h);
    const ok = createResponse(tx.request, 200, { toTag: 'a' });
    let acked = 0;
    const r = h.layer.respond2xx(tx, ok, { onAck: () => void acked++ });
    h.clock.advance(12000);
    assert.deepEqual(h.sentTimes(), [0, 500, 1500, 3500, 7500, 11500]);
    h.deliverRequest(ackFor(ok, 'z9hG4bKack2xx'));
    assert.equal(acked, 1);
    assert.ok(r.stopped);
    assert.equal(h.strayAcks.length, 1, 'the ACK still reaches the TU');
    h.clock.advance(40000);
    assert.equal(h.sent.length, 6);
    assert.equal(h.clock.pending, 0);
  });

  it('respond2xx without ACK gives up after 64*T1 and tells the TU', () => {
    const h = new Harness({ autoTryingMs: null });
    const tx = inviteTx(h);
    let timedOut = 0;
    h.layer.respond2xx(tx, createResponse(tx.request, 200, { toTag: 'a' }), { onAckTimeout: () => void timedOut++ });
    h.clock.advance(31999);
    assert.equal(timedOut, 0);
    h.clock.advance(1);
    assert.equal(timedOut, 1);
    assert.equal(h.clock.pending, 0);
    // retransmissions at 0.5, 1.5, 3.5, 7.5, then every 4 s up to 31.5
    assert.equal(h.sent.length, 1 + 4 + 6);
  });

  describe('CANCEL (RFC 3261 9.2)', () => {
    it('answers 200 with the INVITE To tag, tells the TU, which sends 487; the CANCEL never reaches onRequest', () => {
      const h = new Harness({ autoTryingMs: null });
      const tx = inviteTx(h);
      tx.respond(createResponse(tx.request, 180, { toTag: 'ring' }));
      const cancels: SipRequest[] = [];
      tx.handlers.onCancel = (c) => {
        cancels.push(c);
        tx.respond(createResponse(tx.request, 487, { toTag: 'ring' }));
      };
      h.deliverRequest(incoming('CANCEL'));
      assert.equal(cancels.length, 1);
      assert.equal(h.requests.length, 1);
      assert.deepEqual(statuses(h), [180, 200, 487]);
      const ok = h.sent[1].msg as SipResponse;
      assert.equal(ok.cseq.method, 'CANCEL');
      assert.equal(ok.toTag, 'ring');
      assert.ok(tx.cancelled);
      // a CANCEL retransmission gets the 200 again, the TU is not told twice
      h.deliverRequest(incoming('CANCEL'));
      assert.equal(cancels.length, 1);
      assert.deepEqual(statuses(h), [180, 200, 487, 200]);
    });

    it('sends 487 itself when the TU set no onCancel', () => {
      const h = new Harness({ autoTryingMs: null });
      inviteTx(h);
      h.deliverRequest(incoming('CANCEL'));
      assert.deepEqual(statuses(h), [200, 487]);
      const r487 = h.lastSent().msg as SipResponse;
      assert.equal(r487.cseq.method, 'INVITE');
      assert.ok(r487.toTag);
    });

    it('a CANCEL after the final response gets 200 and changes nothing; one matching nothing gets 481', () => {
      const h = new Harness({ autoTryingMs: null });
      const tx = inviteTx(h);
      let told = 0;
      tx.handlers.onCancel = () => void told++;
      tx.respond(createResponse(tx.request, 200, { toTag: 'a' }));
      h.deliverRequest(incoming('CANCEL'));
      assert.equal(told, 0);
      h.deliverRequest(incoming('CANCEL', { branch: 'z9hG4bKother' }));
      assert.deepEqual(statuses(h), [200, 200, 481]);
    });
  });
});
