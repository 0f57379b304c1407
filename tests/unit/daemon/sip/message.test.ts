import assert from 'node:assert/strict';
import { Headers } from '../../../../daemon/sip/headers.js';
import { SipRequest, SipResponse } from '../../../../daemon/sip/message.js';
import { parseMessage, SipParseError } from '../../../../daemon/sip/parser.js';
import { serializeMessage } from '../../../../daemon/sip/serializer.js';
import { formatUri, parseUri, type SipUri } from '../../../../daemon/sip/uri.js';
import { Params } from '../../../../daemon/sip/params.js';

const REGISTER = [
  'REGISTER sip:ims.mnc001.mcc001.3gppnetwork.org SIP/2.0',
  'v: SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bK-1;rport',
  'Via: SIP/2.0/TCP 192.0.2.1:5062;branch=z9hG4bK-0, SIP/2.0/UDP host.example.com;branch=z9hG4bK-a',
  'Max-Forwards: 70',
  'f: "Alice \\"A\\"" <sip:001010000000001@ims.mnc001.mcc001.3gppnetwork.org>;tag=abc',
  't: <sip:001010000000001@ims.mnc001.mcc001.3gppnetwork.org>',
  'i: 1234@192.0.2.1',
  'CSeq: 1 REGISTER',
  'm: <sip:alice@[2001:db8::1]:5060;transport=udp>;expires=600;+sip.instance="<urn:gsma:imei:1234>",',
  '  <tel:+15551234;phone-context=example.com>;q=0.5',
  'Supported: path, 100rel',
  'Supported: timer',
  'RSeq: 7',
  'RAck: 7 2 INVITE',
  'Route: <sip:pcscf.example.com;lr>, <sip:scscf.example.com;lr>',
  'l: 0',
  '',
  '',
].join('\r\n');

describe('sip message model', () => {
  it('normalises compact header names and looks headers up case-insensitively', () => {
    const msg = parseMessage(REGISTER);
    assert.ok(msg instanceof SipRequest);
    assert.equal(msg.method, 'REGISTER');
    assert.equal(msg.headers.get('call-id'), '1234@192.0.2.1');
    assert.equal(msg.headers.get('I'), '1234@192.0.2.1');
    assert.equal(msg.callId, '1234@192.0.2.1');
    assert.deepEqual([...msg.headers].map((h) => h.name).slice(0, 2), ['Via', 'Via']);
  });

  it('splits comma lists across repeated header fields', () => {
    const msg = parseMessage(REGISTER);
    const vias = msg.vias;
    assert.equal(vias.length, 3);
    assert.equal(vias[0].host, '[2001:db8::1]');
    assert.equal(vias[0].port, 5060);
    assert.equal(vias[0].params.get('branch'), 'z9hG4bK-1');
    assert.equal(vias[0].params.get('rport'), null);
    assert.equal(vias[1].transport, 'TCP');
    assert.equal(vias[2].host, 'host.example.com');
    assert.deepEqual(msg.optionTags('Supported'), ['path', '100rel', 'timer']);
  });

  it('gives typed From/To/CSeq/Contact/Route/RSeq/RAck/Max-Forwards', () => {
    const msg = parseMessage(REGISTER);
    assert.equal(msg.from.displayName, 'Alice "A"');
    assert.equal(msg.fromTag, 'abc');
    assert.equal(msg.toTag, undefined);
    assert.deepEqual(msg.cseq, { seq: 1, method: 'REGISTER' });
    assert.equal(msg.maxForwards, 70);
    assert.equal(msg.contentLength, 0);
    assert.equal(msg.rseq, 7);
    assert.deepEqual(msg.rack, { rseq: 7, cseq: 2, method: 'INVITE' });
    const contacts = msg.contacts;
    assert.equal(contacts.length, 2);
    const c0 = contacts[0];
    assert.ok(c0 !== '*');
    assert.equal(c0.params.get('expires'), '600');
    assert.equal(c0.params.getUnquoted('+sip.instance'), '<urn:gsma:imei:1234>');
    assert.equal((c0.uri as SipUri).host, '[2001:db8::1]');
    const c1 = contacts[1];
    assert.ok(c1 !== '*');
    assert.equal(c1.uri.scheme, 'tel');
    assert.deepEqual(msg.routes.map((r) => formatUri(r.uri)), ['sip:pcscf.example.com;lr', 'sip:scscf.example.com;lr']);
  });

  it('round-trips through the serializer', () => {
    const msg = parseMessage(REGISTER);
    const again = parseMessage(serializeMessage(msg));
    assert.deepEqual([...again.headers], [...msg.headers]);
    assert.equal(serializeMessage(again).toString(), serializeMessage(msg).toString());
  });

  it('builds messages from parts and writes Content-Length from the body', () => {
    const req = new SipRequest('OPTIONS', parseUri('sip:bob@example.com'), new Headers(), 'hello');
    req.vias = [{ protocol: 'SIP', version: '2.0', transport: 'UDP', host: '127.0.0.1', port: 5060, params: new Params([['branch', 'z9hG4bKx']]) }];
    req.from = { uri: parseUri('sip:alice@example.com'), params: new Params([['tag', '1']]) };
    req.to = { displayName: 'Bob Smith', uri: parseUri('sip:bob@example.com'), params: new Params() };
    req.callId = 'c1';
    req.cseq = { seq: 5, method: 'OPTIONS' };
    req.maxForwards = 70;
    req.headers.set('Content-Length', 99);
    const text = serializeMessage(req).toString();
    assert.match(text, /^OPTIONS sip:bob@example\.com SIP\/2\.0\r\n/);
    assert.match(text, /\r\nTo: Bob Smith <sip:bob@example\.com>\r\n/);
    assert.match(text, /\r\nContent-Length: 5\r\n\r\nhello$/);
    const back = parseMessage(text);
    assert.equal(back.body.toString(), 'hello');
    const res = new SipResponse(200, 'OK', back.headers.clone());
    assert.match(serializeMessage(res).toString(), /^SIP\/2\.0 200 OK\r\n/);
  });

  it('supports header edits: prepend, shift, set, remove', () => {
    const msg = parseMessage(REGISTER);
    msg.headers.prepend('Via', 'SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKnew');
    assert.equal(msg.topVia.host, '10.0.0.1');
    msg.headers.shift('Via');
    msg.headers.shift('Via');
    assert.equal(msg.vias.length, 2);
    assert.equal(msg.topVia.transport, 'TCP');
    msg.headers.shift('Route');
    assert.equal(msg.routes.length, 1);
    msg.headers.remove('Supported');
    assert.equal(msg.headers.has('k'), false);
  });

  it('throws a typed error for malformed typed headers', () => {
    const bad = REGISTER.replace('CSeq: 1 REGISTER', 'CSeq: x REGISTER');
    assert.throws(() => parseMessage(bad), (e: unknown) => e instanceof SipParseError && e.where === 'CSeq' && e.status === 400);
    const msg = parseMessage(bad, { lenient: true });
    assert.throws(() => msg.cseq, SipParseError);
  });
});

describe('createResponse', () => {
  it('copies Via/From/To/Call-ID/CSeq, adds a To tag and a reason phrase', async () => {
    const { createResponse } = await import('../../../../daemon/sip/response.js');
    const req = parseMessage(REGISTER) as SipRequest;
    const res = createResponse(req, 401, { toTag: 't9' });
    assert.equal(res.reason, 'Unauthorized');
    assert.equal(res.vias.length, 3);
    assert.equal(res.toTag, 't9');
    assert.equal(res.fromTag, 'abc');
    assert.deepEqual(res.cseq, req.cseq);
    assert.equal(createResponse(req, 100, { toTag: 'x' }).toTag, undefined);
  });
});

describe('Via received with a bare IPv6 address (RFC 5118 4.5)', () => {
  it('parses received=2001:db8::1 and [::1] forms', async () => {
    const { parseVia } = await import('../../../../daemon/sip/header-values.js');
    const v = parseVia('SIP/2.0/UDP [2001:db8::2]:5062;received=2001:db8::2;rport=5062;branch=z9hG4bK1');
    assert.equal(v.params.get('received'), '2001:db8::2');
    assert.equal(v.params.get('rport'), '5062');
    assert.equal(parseVia('SIP/2.0/UDP [::1];received=[::1]').params.get('received'), '[::1]');
  });
});
