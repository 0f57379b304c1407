import assert from 'node:assert/strict';
import { CallBackendError } from '../../../../../daemon/dbus/backend.js';
import { callerOf, lineIdentificationOf, requestUriFor } from '../../../../../daemon/ims/call/number.js';
import { RtpPortPool } from '../../../../../daemon/ims/call/rtp-ports.js';
import { Headers } from '../../../../../daemon/sip/headers.js';
import { parseNameAddr } from '../../../../../daemon/sip/header-values.js';
import { formatUri, parseUri } from '../../../../../daemon/sip/uri.js';

describe('ims/call numbers and RTP ports', () => {
  it('Request-URI: tel: for global numbers (RFC 3966 5.1.4), SIP with phone-context and user=phone for local ones (5.1.5)', () => {
    assert.equal(formatUri(requestUriFor('+1 555-999 9', 'ims.test', 'ims.test')), 'tel:+15559999');
    assert.equal(formatUri(requestUriFor('5559999', 'ims.mnc001.mcc001.3gppnetwork.org', 'ims.test')), 'sip:5559999;phone-context=ims.mnc001.mcc001.3gppnetwork.org@ims.test;user=phone');
    assert.equal(formatUri(requestUriFor('sip:bob@example.org', 'x', 'ims.test')), 'sip:bob@example.org');
    assert.throws(() => requestUriFor('555x', 'x', 'ims.test'), (e: unknown) => e instanceof CallBackendError && e.code === 'InvalidFormat');
    assert.throws(() => requestUriFor('', 'x', 'ims.test'), CallBackendError);
    assert.equal(lineIdentificationOf(parseUri('sip:5559999;phone-context=ims.test@ims.test;user=phone')), '5559999');
  });

  it('caller identity: the tel P-Asserted-Identity, display name, withheld with Privacy: id or anonymous', () => {
    const from = parseNameAddr('<sip:+15559999@ims.test>;tag=1');
    const h = new Headers([['P-Asserted-Identity', '"Bob" <sip:+15559999@ims.test>'], ['P-Asserted-Identity', '<tel:+15559999>']]);
    assert.deepEqual(callerOf(h, from), { number: '+15559999', name: 'Bob' });
    assert.deepEqual(callerOf(new Headers([['Privacy', 'id']]), from), { number: 'withheld', name: '' });
    assert.deepEqual(callerOf(new Headers(), parseNameAddr('"Anonymous" <sip:anonymous@anonymous.invalid>;tag=2')), { number: 'withheld', name: '' });
    assert.deepEqual(callerOf(new Headers([['P-Asserted-Identity', '<<broken']]), from), { number: '+15559999', name: '' });
  });

  it('RTP ports are even, taken round robin, and run out with a typed error', () => {
    const p = new RtpPortPool([41001, 41006]);
    assert.deepEqual([p.allocate(), p.allocate()], [41002, 41004]);
    p.release(41002);
    assert.equal(p.allocate(), 41006);
    assert.equal(p.allocate(), 41002);
    assert.throws(() => p.allocate(), (e: unknown) => e instanceof CallBackendError && /no free RTP port/.test(e.message));
    assert.throws(() => new RtpPortPool([10, 20]), RangeError);
  });
});
