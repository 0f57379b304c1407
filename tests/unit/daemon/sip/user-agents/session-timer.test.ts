import assert from 'node:assert/strict';
import { parseNameAddr } from '../../../../../daemon/sip/header-values.js';
import type { SipRequest, SipResponse } from '../../../../../daemon/sip/message.js';
import { parseUri } from '../../../../../daemon/sip/uri.js';
import { OutgoingCall } from '../../../../../daemon/sip/user-agents/invite-client.js';
import type { IncomingCall } from '../../../../../daemon/sip/user-agents/invite-server.js';
import type { Session, TerminationCause } from '../../../../../daemon/sip/user-agents/session.js';
import type { SessionTimerConfig } from '../../../../../daemon/sip/session-timer/negotiation.js';
import { Network } from './network.js';

const SDP = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';

function call(aliceTimer: SessionTimerConfig | false, bobTimer: SessionTimerConfig | false, bobAllowsUpdate = true) {
  const net = new Network();
  const alice = net.ua('alice', '127.0.0.1', 5061, { sessionTimer: aliceTimer });
  const bobCalls: IncomingCall[] = [];
  const bobEnded: TerminationCause[] = [];
  const bob = net.ua('bob', '127.0.0.2', 5062, {
    sessionTimer: bobTimer,
    onInvite: (c) => {
      bobCalls.push(c);
      c.handlers.onTerminated = (x) => void bobEnded.push(x);
      c.accept({ body: SDP });
      c.session!.handlers.onOffer = () => ({ body: SDP });
    },
  });
  if (!bobAllowsUpdate) Object.defineProperty(bob.core, 'allow', { get: () => ['INVITE', 'ACK', 'CANCEL', 'BYE', 'OPTIONS'] });
  let session: Session | undefined;
  const aliceEnded: TerminationCause[] = [];
  const oc = new OutgoingCall(
    alice.core,
    { uri: parseUri('sip:bob@127.0.0.2:5062'), to: parseNameAddr('<sip:bob@example.com>'), from: parseNameAddr('<sip:alice@example.com>'), offer: { body: SDP } },
    { onAccepted: (s) => void (session = s), onTerminated: (_s, c) => void aliceEnded.push(c) },
  ).start();
  return { net, alice, bob, oc, bobCalls, bobEnded, aliceEnded, session: () => session };
}

describe('sip/user-agents session timers (RFC 4028)', () => {
  let net: Network;
  afterEach(() => net?.close());

  it('negotiates in the INVITE/2xx; the caller refreshes with UPDATE every SE/2 and the call lives on', async () => {
    const c = call({ interval: 90 }, { interval: 1800 });
    net = c.net;
    await net.flush();
    const invite = net.log[0].msg as SipRequest;
    assert.equal(invite.headers.get('Session-Expires'), '90');
    assert.equal(invite.headers.get('Min-SE'), '90');
    const ok = net.log[1].msg as SipResponse;
    assert.equal(ok.headers.get('Session-Expires'), '90;refresher=uac');
    assert.deepEqual(ok.optionTags('Require'), ['timer']);
    assert.deepEqual(c.session()!.timer.agreement, { interval: 90, refresher: 'uac' });
    await net.run(200_000, 1000);
    const updates = net.log.filter((r) => r.what === 'UPDATE');
    assert.deepEqual(updates.map((r) => r.at), [45_000, 90_000, 135_000, 180_000]);
    assert.equal((updates[0].msg as SipRequest).headers.get('Session-Expires'), '90;refresher=uac');
    assert.deepEqual(c.aliceEnded, []);
    assert.deepEqual(c.bobEnded, []);
  });

  it('refreshes with re-INVITE (same SDP) when the peer does not allow UPDATE', async () => {
    const c = call({ interval: 120 }, { interval: 120 }, false);
    net = c.net;
    await net.run(61_000, 1000);
    const reinvites = net.log.filter((r) => r.what === 'INVITE').slice(1);
    assert.equal(reinvites.length, 1);
    assert.equal(reinvites[0].at, 60_000);
    assert.equal((reinvites[0].msg as SipRequest).body.toString(), SDP);
    assert.deepEqual(net.sequence().slice(-3), ['alice>bob INVITE', 'bob>alice 200 INVITE', 'alice>bob ACK']);
  });

  it('the callee sends BYE at SE - min(32, SE/3) when no refresh arrives', async () => {
    const c = call({ interval: 90 }, { interval: 90 });
    net = c.net;
    net.drop = (r) => r.what === 'UPDATE';
    await net.run(61_000, 500);
    const bye = net.log.find((r) => r.what === 'BYE');
    assert.ok(bye);
    assert.equal(bye.at, 60_000);
    assert.equal(net.sequence().find((l) => l.endsWith('BYE')), 'bob>alice BYE');
    assert.deepEqual(c.bobEnded, [{ by: 'session-expired' }]);
  });

  it('a 422 makes the caller retry once with the callee’s Min-SE (RFC 4028 7.4)', async () => {
    const c = call({ interval: 90 }, { interval: 1800, minSE: 600 });
    net = c.net;
    await net.flush();
    assert.deepEqual(net.sequence(), [
      'alice>bob INVITE',
      'bob>alice 422 INVITE',
      'alice>bob ACK',
      'alice>bob INVITE',
      'bob>alice 200 INVITE',
      'alice>bob ACK',
    ]);
    const r422 = net.log[1].msg as SipResponse;
    assert.equal(r422.headers.get('Min-SE'), '600');
    const retry = net.log[3].msg as SipRequest;
    const first = net.log[0].msg as SipRequest;
    assert.equal(retry.headers.get('Session-Expires'), '600');
    assert.equal(retry.headers.get('Min-SE'), '600');
    assert.equal(retry.callId, first.callId);
    assert.equal(retry.cseq.seq, first.cseq.seq + 1);
    assert.deepEqual(c.session()!.timer.agreement, { interval: 600, refresher: 'uac' });
  });

  it('a callee with timers facing a caller without them refreshes itself', async () => {
    const c = call(false, { interval: 300 });
    net = c.net;
    await net.flush();
    const ok = net.log[1].msg as SipResponse;
    assert.equal(ok.headers.get('Session-Expires'), '300;refresher=uas');
    assert.equal(ok.headers.has('Require'), false);
    assert.equal(c.session()!.timer.agreement, undefined, 'the caller runs no timer');
    await net.run(151_000, 1000);
    const upd = net.log.filter((r) => r.what === 'UPDATE');
    assert.equal(upd.length, 1);
    assert.equal(upd[0].from, '127.0.0.2:5062');
    assert.equal(upd[0].at, 150_000);
  });
  it('a refresh refused with 422 is sent again with the Min-SE of the 422 (RFC 4028 7.4)', async () => {
    const c = call({ interval: 90 }, { interval: 90 });
    net = c.net;
    await net.flush();
    c.bob.core.options.sessionTimer = { interval: 1800, minSE: 300 };
    await net.run(46_000, 1000);
    assert.deepEqual(net.sequence().slice(3), ['alice>bob UPDATE', 'bob>alice 422 UPDATE', 'alice>bob UPDATE', 'bob>alice 200 UPDATE']);
    const retry = net.log[5].msg as SipRequest;
    assert.equal(retry.headers.get('Session-Expires'), '300;refresher=uac');
    assert.equal(retry.headers.get('Min-SE'), '300');
    assert.deepEqual(c.session()!.timer.agreement, { interval: 300, refresher: 'uac' });
    assert.deepEqual(c.aliceEnded, []);
  });
});
