// Non-INVITE client transaction, RFC 3261 17.1.2.2, driven by a FakeClock.
import assert from 'node:assert/strict';
import { createResponse } from '../../../../../daemon/sip/response.js';
import type { SipRequest, SipResponse } from '../../../../../daemon/sip/message.js';
import { TransactionTimeoutError, TransactionTransportError } from '../../../../../daemon/sip/transactions/index.js';
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

describe('non-INVITE client transaction (RFC 3261 17.1.2)', () => {
  it('adds a top Via with a fresh z9hG4bK branch and rport (8.1.1.7, RFC 3581)', () => {
    const h = new Harness();
    const tx = h.layer.sendRequest(outgoing('OPTIONS'), PEER);
    const via = h.lastSent().msg.topVia;
    assert.equal(via.transport, 'UDP');
    assert.equal(via.host, '10.0.0.1');
    assert.equal(via.port, 5062);
    assert.equal(via.params.get('branch'), 'z9hG4bKr1');
    assert.equal(via.params.get('rport'), null);
    assert.equal(tx.branch, 'z9hG4bKr1');
    const tx2 = h.layer.sendRequest(outgoing('OPTIONS', { cseq: 2 }), { ...PEER, protocol: 'tcp' });
    assert.notEqual(tx2.branch, tx.branch);
    assert.equal(h.lastSent().msg.topVia.transport, 'TCP');
  });

  it('over UDP, Timer E retransmits at T1 doubling up to T2, and Timer F ends it at 64*T1', () => {
    const h = new Harness();
    const { log, handlers } = record();
    const tx = h.layer.sendRequest(outgoing('REGISTER'), PEER, handlers);
    assert.equal(tx.state, 'Trying');
    h.clock.advance(31999);
    // intervals 0.5, 1, 2, 4, then T2 = 4 s
    assert.deepEqual(h.sentTimes(), [0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    assert.equal(log.timeouts.length, 0);
    h.clock.advance(1);
    assert.equal(log.timeouts.length, 1);
    assert.equal(log.timeouts[0].timer, 'F');
    assert.equal(tx.state, 'Terminated');
    assert.equal(log.terminated, 1);
    assert.equal(h.clock.pending, 0);
    assert.deepEqual(h.layer.size, { clients: 0, servers: 0 });
  });

  it('uses the configured T1/T2: T1=100, T2=400 retransmits at 0.1, 0.3, 0.7, 1.1 s and times out at 6.4 s', () => {
    const h = new Harness({ timers: { T1: 100, T2: 400 } });
    const { log, handlers } = record();
    h.layer.sendRequest(outgoing('OPTIONS'), PEER, handlers);
    h.clock.advance(1100);
    assert.deepEqual(h.sentTimes(), [0, 100, 300, 700, 1100]);
    h.clock.advance(6400 - 1100);
    assert.equal(log.timeouts.length, 1);
    assert.equal(h.clock.pending, 0);
  });

  it('in Proceeding, Timer E fires every T2 (17.1.2.2)', () => {
    const h = new Harness();
    const { log, handlers } = record();
    const tx = h.layer.sendRequest(outgoing('REGISTER'), PEER, handlers);
    h.clock.advance(600); // one retransmission at 500
    h.deliverResponse(createResponse(h.sent[0].msg as SipRequest, 100));
    assert.equal(tx.state, 'Proceeding');
    assert.deepEqual(log.responses, [100]);
    h.clock.advance(1500 - 600); // E still due at 1500 (interval 1 s set before the 100)
    h.clock.advance(4000 * 2);
    assert.deepEqual(h.sentTimes(), [0, 500, 1500, 5500, 9500]);
  });

  it('a final response completes it; retransmitted finals are absorbed; Timer K = T4 ends it (UDP)', () => {
    const h = new Harness();
    const { log, handlers } = record();
    const tx = h.layer.sendRequest(outgoing('REGISTER'), PEER, handlers);
    const res = createResponse(h.sent[0].msg as SipRequest, 200, { toTag: 'reg' });
    h.deliverResponse(res);
    assert.equal(tx.state, 'Completed');
    h.deliverResponse(res);
    h.deliverResponse(createResponse(h.sent[0].msg as SipRequest, 180));
    assert.deepEqual(log.responses, [200]);
    h.clock.advance(4999);
    assert.equal(tx.state, 'Completed');
    assert.equal(h.sent.length, 1, 'no retransmission after the final response');
    h.clock.advance(1);
    assert.equal(tx.state, 'Terminated');
    assert.equal(h.clock.pending, 0);
    // once terminated, a late retransmission is a stray response for the TU
    h.deliverResponse(res);
    assert.equal(h.strayResponses.length, 1);
  });

  it('over TCP: no retransmission, Timer F at 64*T1, and Timer K = 0 (terminated at the final response)', () => {
    const h = new Harness();
    const { log, handlers } = record();
    h.layer.sendRequest(outgoing('OPTIONS'), { ...PEER, protocol: 'tcp' }, handlers);
    h.clock.advance(32000);
    assert.deepEqual(h.sentTimes(), [0]);
    assert.equal(log.timeouts[0]?.timer, 'F');
    assert.equal(h.clock.pending, 0);

    const tx = h.layer.sendRequest(outgoing('OPTIONS', { cseq: 2 }), { ...PEER, protocol: 'tcp' }, handlers);
    h.deliverResponse(createResponse(h.lastSent().msg as SipRequest, 200, { toTag: 'x' }), 'tcp');
    assert.equal(tx.state, 'Terminated');
    assert.equal(h.clock.pending, 0);
  });

  it('a response with the same branch but another CSeq method does not match (17.1.3)', () => {
    const h = new Harness();
    const { log, handlers } = record();
    h.layer.sendRequest(outgoing('OPTIONS'), PEER, handlers);
    const res = createResponse(h.sent[0].msg as SipRequest, 200, { toTag: 'x' });
    res.headers.set('CSeq', '1 CANCEL');
    h.deliverResponse(res);
    assert.deepEqual(log.responses, []);
    assert.equal(h.strayResponses.length, 1);
  });

  it('Proceeding → Completed on the final response after a provisional; Timer F also fires in Proceeding', () => {
    const h = new Harness();
    const { log, handlers } = record();
    const tx = h.layer.sendRequest(outgoing('SUBSCRIBE'), PEER, handlers);
    const sent = h.sent[0].msg as SipRequest;
    h.deliverResponse(createResponse(sent, 100));
    h.deliverResponse(createResponse(sent, 100));
    assert.equal(tx.state, 'Proceeding');
    h.deliverResponse(createResponse(sent, 202, { toTag: 'n' }));
    assert.equal(tx.state, 'Completed');
    assert.deepEqual(log.responses, [100, 100, 202]);

    const tx2 = h.layer.sendRequest(outgoing('SUBSCRIBE', { cseq: 2 }), PEER, handlers);
    h.deliverResponse(createResponse(h.lastSent().msg as SipRequest, 100));
    assert.equal(tx2.state, 'Proceeding');
    h.clock.advance(32000);
    assert.equal(log.timeouts.length, 1);
    assert.equal(tx2.state, 'Terminated');
    assert.equal(h.clock.pending, 0);
  });

  it('a request the transport moved to TCP (18.1.1, resolved with protocol tcp) is not retransmitted', async () => {
    const h = new Harness();
    h.resolveWith = { protocol: 'tcp' };
    const { log, handlers } = record();
    const tx = h.layer.sendRequest(outgoing('MESSAGE'), PEER, handlers);
    await settle();
    h.clock.advance(31999);
    assert.deepEqual(h.sentTimes(), [0]);
    h.deliverResponse(createResponse(h.sent[0].msg as SipRequest, 200, { toTag: 'x' }), 'tcp');
    assert.equal(tx.state, 'Terminated', 'Timer K = 0 on the reliable transport');
    assert.deepEqual(log.responses, [200]);
    assert.equal(h.clock.pending, 0);
  });

  it('a transport error is reported to the TU and ends the transaction (17.1.4)', async () => {
    const h = new Harness();
    const { log, handlers } = record();
    h.failWith = new Error('ECONNREFUSED');
    const tx = h.layer.sendRequest(outgoing('OPTIONS'), { ...PEER, protocol: 'tcp' }, handlers);
    await settle();
    assert.equal(log.errors.length, 1);
    assert.ok(log.errors[0] instanceof TransactionTransportError);
    assert.match(log.errors[0].message, /ECONNREFUSED/);
    assert.equal(tx.state, 'Terminated');
    assert.equal(h.clock.pending, 0);
  });

  it('refuses ACK (no client transaction for ACK)', () => {
    const h = new Harness();
    assert.throws(() => h.layer.sendRequest(outgoing('ACK'), PEER), TypeError);
  });
});
