// Matching of requests to server transactions (RFC 3261 17.2.3) and what the layer does with
// messages that match nothing.
import assert from 'node:assert/strict';
import { parseMessage } from '../../../../../daemon/sip/parser.js';
import { createResponse } from '../../../../../daemon/sip/response.js';
import type { SipRequest } from '../../../../../daemon/sip/message.js';
import { requestKey } from '../../../../../daemon/sip/transactions/index.js';
import { Harness, incoming, outgoing, PEER } from './harness.js';

const req = (text: string): SipRequest => parseMessage(text) as SipRequest;

describe('transaction matching (RFC 3261 17.2.3)', () => {
  it('ACK matches its INVITE (same branch and sent-by); CANCEL has its own key', () => {
    const invite = requestKey(req(incoming('INVITE')));
    assert.equal(requestKey(req(incoming('ACK', { cseqMethod: 'ACK', toTag: 'x' }))), invite);
    assert.notEqual(requestKey(req(incoming('CANCEL'))), invite);
    assert.equal(requestKey(req(incoming('CANCEL')), 'INVITE'), invite);
  });

  it('another sent-by or a branch differing only in case is another transaction', () => {
    const base = requestKey(req(incoming('OPTIONS')));
    assert.notEqual(requestKey(req(incoming('OPTIONS', { viaHost: '10.0.0.3:5099' }))), base);
    assert.notEqual(requestKey(req(incoming('OPTIONS', { branch: 'z9hG4bKPEER1' }))), base);
    assert.equal(requestKey(req(incoming('OPTIONS', { viaHost: '10.0.0.2:5099' }))), base);
  });

  it('RFC 2543 fallback: without the magic cookie a retransmission (and the ACK) still match', () => {
    const h = new Harness({ autoTryingMs: null });
    const old = incoming('INVITE', { branch: '2543-abc' });
    h.deliverRequest(old);
    h.deliverRequest(old);
    assert.equal(h.requests.length, 1);
    const tx = h.requests[0];
    tx.respond(createResponse(tx.request, 486, { toTag: 't' }));
    h.deliverRequest(incoming('ACK', { branch: '2543-abc', cseqMethod: 'ACK', toTag: 't' }));
    assert.equal(tx.state, 'Confirmed');
  });

  it('a retransmission with another branch is a new request for the TU', () => {
    const h = new Harness();
    h.deliverRequest(incoming('OPTIONS', { branch: 'z9hG4bK1' }));
    h.deliverRequest(incoming('OPTIONS', { branch: 'z9hG4bK2' }));
    assert.equal(h.requests.length, 2);
  });
});

describe('transaction layer: stray and unusable messages', () => {
  it('an ACK matching no transaction goes to onStrayAck; a response matching none to onStrayResponse', () => {
    const h = new Harness();
    h.deliverRequest(incoming('ACK', { branch: 'z9hG4bKnone', cseqMethod: 'ACK', toTag: 'x' }));
    assert.equal(h.strayAcks.length, 1);
    h.layer.sendRequest(outgoing('OPTIONS'), PEER);
    const res = createResponse(h.sent[0].msg as SipRequest, 200, { toTag: 'x' });
    res.headers.set('Via', 'SIP/2.0/UDP 10.0.0.1:5062;branch=z9hG4bKunknown');
    h.deliverResponse(res);
    assert.equal(h.strayResponses.length, 1);
    assert.equal(h.discarded.length, 0);
  });

  it('a response with our branch but another sent-by is discarded (18.1.2)', () => {
    const h = new Harness();
    const statuses: number[] = [];
    h.layer.sendRequest(outgoing('OPTIONS'), PEER, { onResponse: (r) => void statuses.push(r.status) });
    const res = createResponse(h.sent[0].msg as SipRequest, 200, { toTag: 'x' });
    res.headers.set('Via', 'SIP/2.0/UDP 10.9.9.9:5062;branch=z9hG4bKr1;rport');
    h.deliverResponse(res);
    assert.deepEqual(statuses, []);
    assert.equal(h.discarded.length, 1);
    assert.match(h.discarded[0].reason, /18\.1\.2/);
  });

  it('without TU handlers, strays are reported as discarded, never dropped silently', () => {
    const h = new Harness({ withTuCallbacks: false });
    h.deliverRequest(incoming('ACK', { branch: 'z9hG4bKnone', cseqMethod: 'ACK', toTag: 'x' }));
    assert.equal(h.discarded.length, 1);
    assert.match(h.discarded[0].reason, /ACK/);
  });

  it('a request whose top Via is malformed is reported as discarded', () => {
    const h = new Harness();
    const bad = incoming('OPTIONS');
    const message = parseMessage(bad) as SipRequest;
    message.headers.set('Via', 'garbage');
    h.layer.receive({ message, protocol: 'udp', remote: { address: '10.0.0.2', port: 5099 } });
    assert.equal(h.requests.length, 0);
    assert.equal(h.discarded.length, 1);
    assert.equal(h.discarded[0].error?.name, 'SipParseError');
  });

  it('close() ends every transaction and retransmission: nothing stays on the clock', () => {
    const h = new Harness();
    h.layer.sendRequest(outgoing('OPTIONS'), PEER);
    h.layer.sendInvite(outgoing('INVITE', { cseq: 2 }), PEER);
    h.deliverRequest(incoming('INVITE'));
    const tx = h.requests[0];
    assert.ok(tx.kind === 'invite');
    h.layer.respond2xx(tx, createResponse(tx.request, 200, { toTag: 'a' }));
    h.deliverRequest(incoming('MESSAGE', { branch: 'z9hG4bKm' }));
    assert.ok(h.clock.pending > 0);
    h.layer.close();
    assert.equal(h.clock.pending, 0);
    assert.deepEqual(h.layer.size, { clients: 0, servers: 0 });
  });
});
