// The IMS messages of the parser bench (bench/corpus) parse into the values a UE needs.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseMessage } from '../../../../daemon/sip/parser.js';
import { serializeMessage } from '../../../../daemon/sip/serializer.js';
import type { SipRequest, SipResponse } from '../../../../daemon/sip/message.js';
import type { SipUri } from '../../../../daemon/sip/uri.js';

const DIR = join(dirname(fileURLToPath(import.meta.url)), '../../../../bench/corpus');
const load = (n: string): Buffer => readFileSync(join(DIR, n));

describe('IMS message corpus', () => {
  it('AKA REGISTER: Security-Client, Authorization, sip.instance, IPv6 Via', () => {
    const m = parseMessage(load('register-aka.sip')) as SipRequest;
    assert.equal(m.method, 'REGISTER');
    assert.equal(m.topVia.host, '[2001:db8:0:1::2]');
    assert.equal(m.topVia.port, 5062);
    assert.match(m.headers.get('Security-Client') ?? '', /port-s=5063/);
    assert.match(m.headers.get('Authorization') ?? '', /algorithm=AKAv1-MD5/);
    const c = m.contacts[0];
    assert.ok(c !== '*');
    assert.equal(c.params.getUnquoted('+sip.instance'), '<urn:gsma:imei:35209900-176148-0>');
    assert.equal(c.params.get('audio'), null);
    assert.deepEqual(m.optionTags('Require'), ['sec-agree']);
  });

  it('401: WWW-Authenticate, Security-Server, received with a bare IPv6 address', () => {
    const m = parseMessage(load('401-unauthorized.sip')) as SipResponse;
    assert.equal(m.status, 401);
    assert.equal(m.reason, 'Unauthorized - Challenging the UE');
    assert.equal(m.topVia.params.get('received'), '2001:db8:0:1::2');
    assert.match(m.headers.get('WWW-Authenticate') ?? '', /^Digest realm=/);
    assert.equal(m.headers.getAll('Path').length, 1);
  });

  it('INVITE with precondition SDP: Route set, Accept-Contact, body intact', () => {
    const m = parseMessage(load('invite-precondition.sip')) as SipRequest;
    assert.equal((m.uri as SipUri).params.get('user'), 'phone');
    assert.equal(m.routes.length, 2);
    assert.equal((m.routes[0].uri as SipUri).host, '[2001:db8:0:2::10]');
    assert.match(m.body.toString(), /a=des:qos mandatory local sendrecv\r\n/);
    assert.equal(m.body.length, m.contentLength);
  });

  it('reg-event NOTIFY: two Vias, Record-Route, reginfo body', () => {
    const m = parseMessage(load('notify-reginfo.sip')) as SipRequest;
    assert.equal(m.vias.length, 2);
    assert.equal(m.recordRoutes.length, 1);
    assert.equal(m.headers.get('Event'), 'reg');
    assert.match(m.body.toString(), /<reginfo /);
  });

  it('every corpus message re-serialises to the same bytes', () => {
    for (const n of ['register-aka.sip', '401-unauthorized.sip', 'invite-precondition.sip', 'notify-reginfo.sip']) {
      const raw = load(n);
      assert.ok(serializeMessage(parseMessage(raw)).equals(raw), n);
    }
  });
});
