import assert from 'node:assert/strict';
import { FakeClock } from '../../../../../daemon/sip/clock.js';
import { sequenceRandom } from '../../../../../daemon/sip/dialogs/random.js';
import { Subscriber, refreshDelaySeconds, type SubscriberTermination } from '../../../../../daemon/sip/subscriptions/subscriber.js';
import { parseSubscriptionState, sameEvent } from '../../../../../daemon/sip/subscriptions/subscription-state.js';
import type { SipRequest } from '../../../../../daemon/sip/message.js';
import { parseUri, formatUri } from '../../../../../daemon/sip/uri.js';
import { createResponse } from '../../../../../daemon/sip/response.js';
import { na, request } from '../dialogs/messages.js';

function setup(expires = 600) {
  const clock = new FakeClock();
  const sent: SipRequest[] = [];
  const states: string[] = [];
  const ended: SubscriberTermination[] = [];
  const s = new Subscriber({
    clock,
    random: sequenceRandom([100], 'r'),
    uri: parseUri('sip:alice@ims.example.com'),
    to: na('<sip:alice@ims.example.com>'),
    from: na('<sip:alice@ims.example.com>'),
    contact: na('<sip:alice@192.0.2.10:5060>'),
    routes: [na('<sip:pcscf.example.com;lr>')],
    event: 'reg',
    accept: ['application/reginfo+xml'],
    expires,
    send: (r) => sent.push(r),
    onStateChange: (st) => states.push(st),
    onTerminated: (w) => ended.push(w),
  });
  return { clock, sent, states, ended, s };
}

/** A NOTIFY from the S-CSCF in the subscription's dialog (Call-ID r1, our tag r2). */
function notify(seq: number, state: string, extra: string[] = []) {
  return request([
    'NOTIFY sip:alice@192.0.2.10:5060 SIP/2.0',
    `Via: SIP/2.0/UDP 198.51.100.5;branch=z9hG4bK-n${seq}`,
    'From: <sip:alice@ims.example.com>;tag=scscf1',
    'To: <sip:alice@ims.example.com>;tag=r2',
    'Call-ID: r1',
    `CSeq: ${seq} NOTIFY`,
    'Contact: <sip:scscf.example.com:6060>',
    'Record-Route: <sip:pcscf.example.com;lr>',
    'Event: reg',
    `Subscription-State: ${state}`,
    ...extra,
  ]);
}

describe('sip/subscriptions/subscriber (RFC 6665 4.1)', () => {
  it('parses Subscription-State and compares Event ids', () => {
    assert.deepEqual(parseSubscriptionState('terminated;reason=rejected;retry-after=30'), {
      state: 'terminated',
      reason: 'rejected',
      retryAfter: 30,
    });
    assert.deepEqual(parseSubscriptionState('Active ;expires=600'), { state: 'active', expires: 600 });
    assert.equal(sameEvent('presence;id=1', 'Presence ; id=1'), true);
    assert.equal(sameEvent('presence;id=1', 'presence'), false);
  });

  it('SUBSCRIBE carries Event, Expires, Accept and the preloaded route; 2xx then NOTIFY activates it', () => {
    const { sent, states, s } = setup();
    const sub = s.subscribe();
    assert.equal(sent.length, 1);
    assert.equal(sub.headers.get('Event'), 'reg');
    assert.equal(sub.headers.get('Expires'), '600');
    assert.equal(sub.headers.get('Accept'), 'application/reginfo+xml');
    assert.deepEqual(sub.headers.getAll('Route'), ['<sip:pcscf.example.com;lr>']);
    assert.equal(sub.callId, 'r1');
    assert.equal(sub.fromTag, 'r2');
    const ok = createResponse(sub, 200, { toTag: 'scscf1' });
    ok.headers.append('Contact', '<sip:scscf.example.com:6060>');
    ok.headers.append('Expires', '600');
    s.receiveResponse(sub, ok);
    assert.equal(s.state, 'notify-wait');
    assert.deepEqual(s.receiveNotify(notify(1, 'active;expires=600')), { status: 200 });
    assert.equal(s.state, 'active');
    assert.deepEqual(states, ['notify-wait', 'active']);
    assert.equal(s.dialog?.remoteTag, 'scscf1');
  });

  it('a NOTIFY that overtakes the 2xx creates the dialog; then the 2xx joins it', () => {
    const { sent, s } = setup();
    const sub = s.subscribe();
    assert.deepEqual(s.receiveNotify(notify(1, 'pending')), { status: 200 });
    assert.equal(s.state, 'pending');
    const d = s.dialog!;
    assert.equal(formatUri(d.remoteTarget), 'sip:scscf.example.com:6060');
    assert.equal(d.localSeq, sub.cseq.seq);
    s.receiveResponse(sub, createResponse(sub, 202, { toTag: 'scscf1' }));
    assert.equal(s.dialog, d);
    assert.deepEqual(s.receiveNotify(notify(2, 'active;expires=300')), { status: 200 });
    assert.equal(s.state, 'active');
    // a refresh goes in the dialog with the next CSeq
    const ref = s.refresh();
    assert.equal(ref.toTag, 'scscf1');
    assert.deepEqual(ref.cseq, { seq: sub.cseq.seq + 1, method: 'SUBSCRIBE' });
    assert.equal(formatUri(ref.uri), 'sip:scscf.example.com:6060');
    assert.equal(sent.length, 2);
  });

  it('answers 481 to NOTIFYs of other subscriptions, 400 without Subscription-State, 500 when out of order', () => {
    const { s } = setup();
    assert.equal(s.receiveNotify(notify(1, 'active')).status, 481, 'nothing subscribed yet');
    s.subscribe();
    const other = notify(1, 'active');
    other.headers.set('Call-ID', 'another');
    assert.equal(s.receiveNotify(other).status, 481);
    const otherEvent = notify(1, 'active');
    otherEvent.headers.set('Event', 'presence');
    assert.equal(s.receiveNotify(otherEvent).status, 481);
    const bare = notify(1, 'active');
    bare.headers.remove('Subscription-State');
    assert.equal(s.receiveNotify(bare).status, 400);
    assert.equal(s.receiveNotify(notify(5, 'active')).status, 200);
    assert.equal(s.receiveNotify(notify(4, 'active')).status, 500);
    const fork = notify(6, 'active');
    fork.headers.set('From', '<sip:alice@ims.example.com>;tag=other-notifier');
    assert.equal(s.receiveNotify(fork).status, 481);
  });

  it('refreshes before expiry (half, or 600 s before when long) and ends when a refresh never succeeds', () => {
    assert.equal(refreshDelaySeconds(600), 300);
    assert.equal(refreshDelaySeconds(3600), 3000);
    const { clock, sent, ended, s } = setup(600);
    const sub = s.subscribe();
    s.receiveNotify(notify(1, 'active;expires=600'));
    clock.advance(299_999);
    assert.equal(sent.length, 1);
    clock.advance(1);
    assert.equal(sent.length, 2);
    assert.equal(sent[1].headers.get('Expires'), '600');
    s.receiveResponse(sent[1], createResponse(sent[1], 500));
    assert.equal(s.state, 'active', 'a failed refresh keeps the subscription until it expires');
    clock.advance(300_000);
    assert.equal(s.state, 'terminated');
    assert.deepEqual(ended, [{ reason: 'expired' }]);
    assert.ok(sub);
  });

  it('Timer N: no NOTIFY within 64*T1 ends the subscription', () => {
    const { clock, ended, s } = setup();
    const sub = s.subscribe();
    s.receiveResponse(sub, createResponse(sub, 200, { toTag: 'x' }));
    clock.advance(31_999);
    assert.equal(s.state, 'notify-wait');
    clock.advance(1);
    assert.deepEqual(ended, [{ reason: 'timer-n' }]);
    assert.equal(clock.pending, 0);
  });

  it('terminated NOTIFY passes reason and retry-after on', () => {
    const { ended, s } = setup();
    s.subscribe();
    s.receiveNotify(notify(1, 'terminated;reason=probation;retry-after=30'));
    assert.deepEqual(ended, [{ reason: 'probation', retryAfter: 30 }]);
    assert.equal(s.dialog?.state, 'terminated');
    assert.equal(s.receiveNotify(notify(2, 'active')).status, 481);
  });

  it('unsubscribes with Expires: 0 and ends on the final NOTIFY', () => {
    const { clock, sent, ended, s } = setup();
    s.subscribe();
    s.receiveNotify(notify(1, 'active;expires=600'));
    const un = s.unsubscribe()!;
    assert.equal(un.headers.get('Expires'), '0');
    assert.equal(un.toTag, 'scscf1');
    s.receiveResponse(un, createResponse(un, 200));
    assert.equal(s.state, 'active');
    s.receiveNotify(notify(2, 'terminated;reason=timeout'));
    assert.deepEqual(ended, [{ reason: 'timeout' }]);
    clock.advance(3_600_000);
    assert.equal(sent.length, 2, 'no refresh after unsubscribing');
  });

  it('a rejected SUBSCRIBE ends it; 423 is retried once with Min-Expires', () => {
    const { sent, ended, s } = setup(60);
    const sub = s.subscribe();
    const r423 = createResponse(sub, 423, { toTag: 'x' });
    r423.headers.append('Min-Expires', '3600');
    s.receiveResponse(sub, r423);
    assert.equal(sent.length, 2);
    assert.equal(sent[1].headers.get('Expires'), '3600');
    assert.deepEqual(sent[1].cseq, { seq: sub.cseq.seq + 1, method: 'SUBSCRIBE' });
    assert.equal(sent[1].callId, sub.callId);
    s.receiveResponse(sent[1], createResponse(sent[1], 489, { toTag: 'x' }));
    assert.deepEqual(ended, [{ reason: 'failed', status: 489 }]);
  });
});
