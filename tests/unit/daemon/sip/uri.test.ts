import assert from 'node:assert/strict';
import { SipParseError } from '../../../../daemon/sip/errors.js';
import { formatUri, isSipUri, parseUri, type SipUri, type TelUri, type UrnUri } from '../../../../daemon/sip/uri.js';

describe('sip uri', () => {
  it('parses sip: with user, password, port, params with and without values, headers', () => {
    const u = parseUri('sip:alice:secret@example.com:5070;transport=tcp;lr?Subject=hi&Priority=urgent') as SipUri;
    assert.equal(u.scheme, 'sip');
    assert.equal(u.user, 'alice');
    assert.equal(u.password, 'secret');
    assert.equal(u.host, 'example.com');
    assert.equal(u.port, 5070);
    assert.equal(u.params.get('TRANSPORT'), 'tcp');
    assert.equal(u.params.get('lr'), null);
    assert.equal(u.params.get('maddr'), undefined);
    assert.deepEqual(u.headers, [['Subject', 'hi'], ['Priority', 'urgent']]);
    assert.equal(formatUri(u), 'sip:alice:secret@example.com:5070;transport=tcp;lr?Subject=hi&Priority=urgent');
  });

  it('parses sips: and IPv6 references (RFC 5118)', () => {
    const u = parseUri('SIPS:bob@[2001:db8::10]:5061') as SipUri;
    assert.equal(u.scheme, 'sips');
    assert.equal(u.host, '[2001:db8::10]');
    assert.equal(u.port, 5061);
    assert.equal((parseUri('sip:[::ffff:192.0.2.1]') as SipUri).host, '[::ffff:192.0.2.1]');
    assert.throws(() => parseUri('sip:[2001:db8::10'), SipParseError);
    assert.throws(() => parseUri('sip:[2001:db8:::10]'), SipParseError);
  });

  it('accepts a user part holding ; ? and escapes (RFC 4475 3.1.1.2/3.1.1.9)', () => {
    const u = parseUri("sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com") as SipUri;
    assert.equal(u.user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
    assert.equal(u.password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
    assert.equal(u.host, 'example.com');
    const s = parseUri('sip:user;par=u%40example.net@example.com') as SipUri;
    assert.equal(s.user, 'user;par=u%40example.net');
  });

  it('rejects bad ports and hosts', () => {
    assert.throws(() => parseUri('sip:example.com:80000'), SipParseError);
    assert.throws(() => parseUri('sip:exa mple.com'), SipParseError);
    assert.throws(() => parseUri('<sip:example.com>'), SipParseError);
    assert.throws(() => parseUri('sip:example.com;;lr'), SipParseError);
  });

  it('parses tel: (RFC 3966) and urn:', () => {
    const t = parseUri('tel:+1-201-555-0123;phone-context=example.com') as TelUri;
    assert.equal(t.scheme, 'tel');
    assert.equal(t.number, '+1-201-555-0123');
    assert.equal(t.params.get('phone-context'), 'example.com');
    assert.equal(formatUri(t), 'tel:+1-201-555-0123;phone-context=example.com');
    assert.throws(() => parseUri('tel:abc+'), SipParseError);
    const n = parseUri('urn:service:sos.police') as UrnUri;
    assert.equal(n.nid, 'service');
    assert.equal(n.nss, 'sos.police');
    assert.equal(formatUri(n), 'urn:service:sos.police');
  });

  it('keeps other schemes opaque', () => {
    const u = parseUri('soap.beep://192.0.2.103:3002');
    assert.equal(isSipUri(u), false);
    assert.equal(u.scheme, 'soap.beep');
    assert.equal(formatUri(u), 'soap.beep://192.0.2.103:3002');
  });
});
