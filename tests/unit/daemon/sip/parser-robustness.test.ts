// Truncated and mutated input never crashes or hangs the parser: it returns a message or
// throws SipParseError, nothing else.
import assert from 'node:assert/strict';
import { buildErrorResponse } from '../../../../daemon/sip/bad-request.js';
import { parseMessage, SipParseError } from '../../../../daemon/sip/parser.js';

const MSG = Buffer.from(
  [
    'INVITE sip:+15551234@ims.example.com;user=phone SIP/2.0',
    'Via: SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bKabc;rport',
    'Max-Forwards: 70',
    'From: "A" <sip:alice@ims.example.com>;tag=1',
    'To: <tel:+15551234>',
    'Call-ID: x@y',
    'CSeq: 1 INVITE',
    'Contact: <sip:alice@[2001:db8::1]:5060>;+g.3gpp.icsi-ref="urn%3Aurn-7%3A3gpp-service.ims.icsi.mmtel"',
    'Route: <sip:pcscf.ims.example.com:5060;lr>',
    'RAck: 1 1 INVITE',
    'Content-Type: application/sdp',
    'Content-Length: 10',
    '',
    '0123456789',
  ].join('\r\n'),
);

function check(data: Buffer): void {
  try {
    parseMessage(data);
  } catch (e) {
    if (!(e instanceof SipParseError)) throw e;
    buildErrorResponse(data, e);
  }
}

describe('sip parser robustness', () => {
  it('every truncation parses or throws SipParseError', () => {
    for (let n = 0; n <= MSG.length; n++) check(MSG.subarray(0, n));
  });

  it('20000 seeded random mutations parse or throw SipParseError', () => {
    let seed = 0x1234567;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed % n;
    };
    const alphabet = Buffer.from(' \t\r\n:;,<>"\\@[]=?%0a\x00\xff');
    let rejected = 0;
    for (let i = 0; i < 20000; i++) {
      const b = Buffer.from(MSG);
      for (let k = 1 + rnd(3); k > 0; k--) b[rnd(b.length)] = alphabet[rnd(alphabet.length)];
      try {
        parseMessage(b);
      } catch (e) {
        assert.ok(e instanceof SipParseError, String(e));
        rejected++;
      }
    }
    assert.ok(rejected > 1000, `only ${rejected} mutations were rejected`);
  });
});
