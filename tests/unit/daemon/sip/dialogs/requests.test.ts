import assert from 'node:assert/strict';
import { createCancel } from '../../../../../daemon/sip/dialogs/cancel.js';
import { createInitialRequest } from '../../../../../daemon/sip/dialogs/request-factory.js';
import { sequenceRandom } from '../../../../../daemon/sip/dialogs/random.js';
import { parseUri } from '../../../../../daemon/sip/uri.js';
import { serializeMessage } from '../../../../../daemon/sip/serializer.js';
import { parseMessage } from '../../../../../daemon/sip/parser.js';
import { aliceInvite, na } from './messages.js';

describe('sip/dialogs requests outside a dialog', () => {
  it('createInitialRequest: fresh From tag, Call-ID, CSeq, preloaded Route, Contact (RFC 3261 8.1.1)', () => {
    const req = createInitialRequest({
      method: 'SUBSCRIBE',
      uri: parseUri('sip:alice@ims.example.com'),
      from: na('<sip:alice@ims.example.com>'),
      to: na('<sip:alice@ims.example.com>;tag=should-go'),
      contact: na('<sip:alice@[2001:db8::1]:5060>'),
      routes: [na('<sip:pcscf.example.com:5060;lr>'), na('<sip:scscf.example.com;lr>')],
      headers: [['Event', 'reg'], ['Expires', 600]],
      random: sequenceRandom([42]),
    });
    const text = serializeMessage(req).toString();
    const back = parseMessage(text);
    assert.equal(back.headers.get('From'), '<sip:alice@ims.example.com>;tag=t1');
    assert.equal(back.headers.get('To'), '<sip:alice@ims.example.com>');
    assert.equal(back.callId, 't2');
    assert.deepEqual(back.cseq, { seq: 42, method: 'SUBSCRIBE' });
    assert.deepEqual(back.headers.getAll('Route'), ['<sip:pcscf.example.com:5060;lr>', '<sip:scscf.example.com;lr>']);
    assert.equal(back.headers.get('Contact'), '<sip:alice@[2001:db8::1]:5060>');
    assert.equal(back.headers.get('Event'), 'reg');
    assert.equal(back.maxForwards, 70);
  });

  it('createCancel copies Request-URI, top Via, Route, From, To, Call-ID and the CSeq number (9.1)', () => {
    const inv = aliceInvite(['Route: <sip:p1.example.com;lr>']);
    inv.headers.append('Via', 'SIP/2.0/UDP proxy.example.com;branch=z9hG4bK-below');
    const c = createCancel(inv);
    assert.equal(c.method, 'CANCEL');
    assert.equal(c.headers.getAll('Via').length, 1);
    assert.equal(c.topVia.params.get('branch'), 'z9hG4bK-inv1');
    assert.deepEqual(c.cseq, { seq: 10, method: 'CANCEL' });
    assert.equal(c.headers.get('From'), inv.headers.get('From'));
    assert.equal(c.headers.get('To'), inv.headers.get('To'));
    assert.equal(c.callId, inv.callId);
    assert.deepEqual(c.headers.getAll('Route'), ['<sip:p1.example.com;lr>']);
    assert.equal(c.body.length, 0);
    const unsent = aliceInvite();
    unsent.headers.remove('Via');
    assert.throws(() => createCancel(unsent), /not been sent/);
  });
});
