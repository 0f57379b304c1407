// Non-INVITE server transaction, RFC 3261 17.2.2, and response routing (18.2.2, RFC 3581).
import assert from 'node:assert/strict';
import { createResponse } from '../../../../../daemon/sip/response.js';
import { TransactionStateError, type NonInviteServerTransaction, type TransactionTransportError } from '../../../../../daemon/sip/transactions/index.js';
import { Harness, incoming, settle } from './harness.js';

describe('non-INVITE server transaction (RFC 3261 17.2.2)', () => {
  it('the TU sees the request once; a retransmission in Trying is absorbed without answer', () => {
    const h = new Harness();
    h.deliverRequest(incoming('OPTIONS'));
    h.deliverRequest(incoming('OPTIONS'));
    assert.equal(h.requests.length, 1);
    assert.equal(h.requests[0].state, 'Trying');
    assert.equal(h.sent.length, 0);
  });

  it('re-sends the last provisional in Proceeding and the final in Completed; Timer J = 64*T1 on UDP', () => {
    const h = new Harness();
    h.deliverRequest(incoming('MESSAGE'));
    const tx = h.requests[0] as NonInviteServerTransaction;
    tx.respond(createResponse(tx.request, 100));
    assert.equal(tx.state, 'Proceeding');
    h.deliverRequest(incoming('MESSAGE'));
    assert.deepEqual(h.sent.map((s) => s.msg.isResponse() && s.msg.status), [100, 100]);
    tx.respond(createResponse(tx.request, 202, { toTag: 'a' }));
    assert.equal(tx.state, 'Completed');
    h.clock.advance(20000);
    h.deliverRequest(incoming('MESSAGE'));
    h.deliverRequest(incoming('MESSAGE'));
    assert.deepEqual(h.sent.map((s) => s.msg.isResponse() && s.msg.status), [100, 100, 202, 202, 202]);
    assert.equal(h.requests.length, 1);
    assert.throws(() => tx.respond(createResponse(tx.request, 500, { toTag: 'a' })), TransactionStateError);
    h.clock.advance(11999);
    assert.equal(tx.state, 'Completed');
    h.clock.advance(1);
    assert.equal(tx.state, 'Terminated');
    assert.equal(h.clock.pending, 0);
    // a retransmission after Timer J is a new request for the TU
    h.deliverRequest(incoming('MESSAGE'));
    assert.equal(h.requests.length, 2);
  });

  it('over TCP Timer J is 0 and the response goes back on the request connection (18.2.2)', () => {
    const h = new Harness();
    h.deliverRequest(incoming('OPTIONS', { transport: 'TCP', viaHost: '10.0.0.2:5070' }), 'tcp', 'conn-7', { address: '10.0.0.2', port: 40123 });
    const tx = h.requests[0];
    tx.respond(createResponse(tx.request, 200, { toTag: 'a' }));
    assert.equal(tx.state, 'Terminated');
    assert.equal(h.clock.pending, 0);
    assert.deepEqual(h.lastSent().options, { connectionId: 'conn-7' });
    assert.deepEqual(h.lastSent().dest, { address: '10.0.0.2', port: 5070, protocol: 'tcp' });
  });

  it('routes UDP responses to received/rport (RFC 3581 4) or to received and the sent-by port (18.2.2)', () => {
    const h = new Harness();
    h.deliverRequest(incoming('OPTIONS', { rport: true, viaHost: '192.168.1.5:5060', branch: 'z9hG4bKa' }), 'udp', undefined, { address: '10.0.0.2', port: 5099 });
    h.requests[0].respond(createResponse(h.requests[0].request, 200, { toTag: 'a' }));
    assert.deepEqual(h.lastSent().dest, { address: '10.0.0.2', port: 5099, protocol: 'udp' });
    const noRport = incoming('OPTIONS', { viaHost: '192.168.1.5:5070', branch: 'z9hG4bKb' }).replace('5070;branch=z9hG4bKb', '5070;branch=z9hG4bKb;received=10.0.0.9');
    h.deliverRequest(noRport, 'udp', undefined, { address: '10.0.0.9', port: 6000 });
    h.requests[1].respond(createResponse(h.requests[1].request, 200, { toTag: 'a' }));
    assert.deepEqual(h.lastSent().dest, { address: '10.0.0.9', port: 5070, protocol: 'udp' });
    h.deliverRequest(incoming('OPTIONS', { viaHost: '10.0.0.2', branch: 'z9hG4bKc' }), 'udp', undefined, { address: '10.0.0.2', port: 6001 });
    h.requests[2].respond(createResponse(h.requests[2].request, 200, { toTag: 'a' }));
    assert.deepEqual(h.lastSent().dest, { address: '10.0.0.2', port: 5060, protocol: 'udp' });
  });

  it('a transport error when sending the response reaches the TU (17.2.4)', async () => {
    const h = new Harness();
    h.deliverRequest(incoming('OPTIONS'));
    const tx = h.requests[0];
    const errors: TransactionTransportError[] = [];
    tx.handlers.onTransportError = (e) => void errors.push(e);
    h.failWith = new Error('ENETUNREACH');
    tx.respond(createResponse(tx.request, 200, { toTag: 'a' }));
    await settle();
    assert.equal(errors.length, 1);
    assert.equal(tx.state, 'Terminated');
    assert.equal(h.clock.pending, 0);
  });
});
