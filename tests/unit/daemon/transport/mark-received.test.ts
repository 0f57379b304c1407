import assert from 'node:assert/strict';
import { parseMessage } from '../../../../daemon/sip/parser.js';
import type { SipRequest } from '../../../../daemon/sip/message.js';
import { markReceived } from '../../../../daemon/transport/sip-transport.js';

const req = (via: string): SipRequest =>
  parseMessage(`OPTIONS sip:a@b SIP/2.0\r\nVia: ${via}\r\nVia: SIP/2.0/UDP second;branch=z9hG4bK2\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`) as SipRequest;

describe('markReceived (RFC 3261 18.2.1, RFC 3581)', () => {
  it('leaves a Via whose sent-by is the source address alone', () => {
    const r = req('SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1');
    markReceived(r, { address: '192.0.2.1', port: 5060 });
    assert.equal(r.headers.getAll('Via')[0], 'SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1');
  });
  it('adds received when sent-by is a name or another address', () => {
    const r = req('SIP/2.0/UDP ue.example.com:5060;branch=z9hG4bK1');
    markReceived(r, { address: '192.0.2.7', port: 5060 });
    assert.equal(r.topVia.params.get('received'), '192.0.2.7');
    assert.equal(r.vias.length, 2);
  });
  it('fills an empty rport and adds received, also for IPv6', () => {
    const r = req('SIP/2.0/UDP [2001:db8::1]:5060;rport;branch=z9hG4bK1');
    markReceived(r, { address: '2001:db8::1', port: 40000 });
    assert.equal(r.topVia.params.get('rport'), '40000');
    assert.equal(r.topVia.params.get('received'), '2001:db8::1');
    // the rewritten Via still parses (received holds a bare IPv6 address)
    const again = parseMessage(`OPTIONS sip:a@b SIP/2.0\r\nVia: ${r.headers.getAll('Via')[0]}\r\nContent-Length: 0\r\n\r\n`);
    assert.equal(again.topVia.params.get('received'), '2001:db8::1');
  });
});
