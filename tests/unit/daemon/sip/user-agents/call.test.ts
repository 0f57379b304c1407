import assert from 'node:assert/strict';
import { parseNameAddr } from '../../../../../daemon/sip/header-values.js';
import type { SipRequest, SipResponse } from '../../../../../daemon/sip/message.js';
import { parseUri } from '../../../../../daemon/sip/uri.js';
import { OutgoingCall, type OutgoingCallHandlers } from '../../../../../daemon/sip/user-agents/invite-client.js';
import type { IncomingCall } from '../../../../../daemon/sip/user-agents/invite-server.js';
import type { Session, TerminationCause } from '../../../../../daemon/sip/user-agents/session.js';
import type { UserAgentCoreOptions } from '../../../../../daemon/sip/user-agents/core.js';
import { Network, type Ua } from './network.js';

const OFFER = 'v=0\r\no=alice 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';
const ANSWER = 'v=0\r\no=bob 1 1 IN IP4 127.0.0.2\r\ns=-\r\nc=IN IP4 127.0.0.2\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\n';
const OFFER2 = OFFER.replace('4000', '4002');

interface Bob {
  ua: Ua;
  calls: IncomingCall[];
  ended: TerminationCause[];
  confirmed: number;
}

function setup(bobOnInvite: (call: IncomingCall, bob: Bob) => void, options: { alice?: Partial<UserAgentCoreOptions>; bob?: Partial<UserAgentCoreOptions> } = {}) {
  const net = new Network();
  const alice = net.ua('alice', '127.0.0.1', 5061, { sessionTimer: false, ...options.alice });
  const bob: Bob = { ua: undefined as unknown as Ua, calls: [], ended: [], confirmed: 0 };
  bob.ua = net.ua('bob', '127.0.0.2', 5062, {
    sessionTimer: false,
    ...options.bob,
    onInvite: (call) => {
      bob.calls.push(call);
      call.handlers = {
        onConfirmed: () => void bob.confirmed++,
        onTerminated: (c) => void bob.ended.push(c),
      };
      const s = (): Session | undefined => call.session;
      queueMicrotask(() => {
        const session = s();
        if (session) session.handlers.onOffer = () => ({ body: ANSWER });
      });
      bobOnInvite(call, bob);
    },
  });
  return { net, alice, bob };
}

function dial(alice: Ua, handlers: OutgoingCallHandlers, extra: Partial<ConstructorParameters<typeof OutgoingCall>[1]> = {}): OutgoingCall {
  return new OutgoingCall(
    alice.core,
    {
      uri: parseUri('sip:bob@127.0.0.2:5062'),
      to: parseNameAddr('<sip:bob@example.com>'),
      from: parseNameAddr('<sip:alice@example.com>'),
      offer: { body: OFFER },
      ...extra,
    },
    handlers,
  ).start();
}

const names = (seq: string[]) => seq;

describe('sip/user-agents INVITE UAC and UAS', () => {
  let net: Network;
  afterEach(() => {
    net?.close();
  });

  it('reliable 183 with SDP, PRACK, 200 held until the PRACK, ACK, UPDATE, BYE (RFC 3262, RFC 3311)', async () => {
    const s = setup((call) => {
      call.progress(183, { reliable: true, body: { body: ANSWER } });
      call.accept(); // held back: the 183 carries SDP and is not PRACKed yet
    });
    net = s.net;
    const progress: SipResponse[] = [];
    let accepted: Session | undefined;
    const aliceEnded: TerminationCause[] = [];
    const call = dial(s.alice, {
      onProgress: (r) => void progress.push(r),
      onAccepted: (session) => void (accepted = session),
      onTerminated: (_s, c) => void aliceEnded.push(c),
    });
    await net.flush();
    assert.deepEqual(names(net.sequence()), [
      'alice>bob INVITE',
      'bob>alice 183 INVITE',
      'alice>bob PRACK',
      'bob>alice 200 PRACK',
      'bob>alice 200 INVITE',
      'alice>bob ACK',
    ]);
    const invite = net.log[0].msg as SipRequest;
    assert.deepEqual(invite.optionTags('Supported'), ['100rel']);
    const r183 = net.log[1].msg as SipResponse;
    assert.deepEqual(r183.optionTags('Require'), ['100rel']);
    const prack = net.log[2].msg as SipRequest;
    assert.deepEqual(prack.rack, { rseq: r183.rseq, cseq: invite.cseq.seq, method: 'INVITE' });
    assert.equal(prack.toTag, r183.toTag);
    assert.equal(progress.length, 1);
    assert.ok(accepted);
    assert.equal(accepted, call.session);
    assert.equal(accepted.offerAnswer.state, 'stable');
    assert.equal(s.bob.confirmed, 1);
    const ack = net.log[5].msg as SipRequest;
    assert.deepEqual(ack.cseq, { seq: invite.cseq.seq, method: 'ACK' });

    const res = await Promise.all([accepted.update({ body: OFFER2 }), net.flush()]).then(([r]) => r);
    assert.equal(res.status, 200);
    assert.equal(res.body.toString(), ANSWER);
    assert.equal(accepted.offerAnswer.completedExchanges, 2);
    const update = net.log[6].msg as SipRequest;
    assert.deepEqual(update.cseq, { seq: invite.cseq.seq + 2, method: 'UPDATE' }, 'PRACK took +1');

    accepted.bye();
    await net.flush();
    assert.deepEqual(net.sequence().slice(6), ['alice>bob UPDATE', 'bob>alice 200 UPDATE', 'alice>bob BYE', 'bob>alice 200 BYE']);
    assert.deepEqual(aliceEnded, [{ by: 'local' }]);
    assert.equal(s.bob.ended.length, 1);
    assert.equal(s.bob.ended[0].by, 'remote');
    assert.equal(s.alice.core.dialogCount, 0);
    assert.equal(s.bob.ua.core.dialogCount, 0);
  });

  it('accept() called from inside onPrack: the PRACK\'s 200 goes out before the INVITE\'s 200 (RFC 3262 3)', async () => {
    const s = setup((call) => {
      call.handlers.onPrack = () => call.accept();
      call.progress(180, { reliable: true });
    });
    net = s.net;
    let accepted: Session | undefined;
    dial(s.alice, { onAccepted: (session) => void (accepted = session) });
    await net.flush();
    assert.deepEqual(net.sequence(), [
      'alice>bob INVITE',
      'bob>alice 180 INVITE',
      'alice>bob PRACK',
      'bob>alice 200 PRACK',
      'bob>alice 200 INVITE',
      'alice>bob ACK',
    ]);
    assert.ok(accepted);
    assert.equal(s.bob.confirmed, 1);
  });

  it('retransmits an unPRACKed reliable 183 at T1 doubling and rejects the INVITE with 504 after 64*T1', async () => {
    const s = setup((call) => call.progress(183, { reliable: true, body: { body: ANSWER } }));
    net = s.net;
    net.drop = (r) => r.what === 'PRACK';
    let failed: SipResponse | Error | undefined;
    dial(s.alice, { onFailed: (r) => void (failed = r) });
    await net.run(33_000, 250);
    const times = net.log.filter((r) => r.what === '183 INVITE').map((r) => r.at);
    assert.deepEqual(times, [0, 500, 1500, 3500, 7500, 15500, 31500]);
    assert.ok(failed && !(failed instanceof Error));
    assert.equal(failed.status, 504);
    assert.equal(s.bob.ended[0]?.by, 'not-confirmed');
  });

  it('a lost ACK: the 2xx is retransmitted and ACKed again, then the call is confirmed (13.3.1.4)', async () => {
    const s = setup((call) => call.accept({ body: ANSWER }));
    net = s.net;
    let acks = 0;
    net.drop = (r) => r.what === 'ACK' && ++acks === 1;
    dial(s.alice, {});
    await net.run(2_000, 100);
    assert.deepEqual(net.sequence(), [
      'alice>bob INVITE',
      'bob>alice 200 INVITE',
      'x alice>bob ACK',
      'bob>alice 200 INVITE',
      'alice>bob ACK',
    ]);
    assert.equal(s.bob.confirmed, 1);
  });

  it('CANCEL: the callee answers 487 and the caller fails with it (9.1, 9.2)', async () => {
    const s = setup((call) => call.progress(180));
    net = s.net;
    const cancelled: string[] = [];
    let failed: SipResponse | Error | undefined;
    const call = dial(s.alice, { onFailed: (r) => void (failed = r) });
    await net.flush();
    s.bob.calls[0].handlers.onCancelled = (c) => void cancelled.push(c.method);
    assert.equal(call.cancel(), 'sent');
    await net.flush();
    assert.deepEqual(net.sequence(), [
      'alice>bob INVITE',
      'bob>alice 180 INVITE',
      'alice>bob CANCEL',
      'bob>alice 200 CANCEL',
      'bob>alice 487 INVITE',
      'alice>bob ACK',
    ]);
    assert.deepEqual(cancelled, ['CANCEL']);
    assert.ok(failed && !(failed instanceof Error) && failed.status === 487);
    assert.equal(s.bob.ua.core.dialogCount, 0);
    assert.equal(s.alice.core.dialogCount, 0);
  });

  it('UPDATE glare: both offer at once, both get 491 and the sessions stay usable (RFC 3311 5.2)', async () => {
    const s = setup((call) => call.accept({ body: ANSWER }));
    net = s.net;
    let aliceSession: Session | undefined;
    dial(s.alice, { onAccepted: (x) => void (aliceSession = x) });
    await net.flush();
    const bobSession = s.bob.calls[0].session!;
    const [ra, rb] = await Promise.all([aliceSession!.update({ body: OFFER2 }), bobSession.update({ body: ANSWER }), net.flush()]);
    assert.equal(ra.status, 491);
    assert.equal(rb.status, 491);
    assert.equal(aliceSession!.offerAnswer.state, 'stable');
    const again = await Promise.all([aliceSession!.update({ body: OFFER2 }), net.flush()]);
    assert.equal(again[0].status, 200);
  });

  it('500 with Retry-After to an UPDATE offer while an offer of the peer is unanswered (RFC 3311 5.2)', async () => {
    const s = setup((call) => call.accept({ body: ANSWER }));
    net = s.net;
    let aliceSession: Session | undefined;
    dial(s.alice, { onAccepted: (x) => void (aliceSession = x) });
    await net.flush();
    const bobSession = s.bob.calls[0].session!;
    bobSession.offerAnswer.remoteOffer(); // Bob still owes Alice an answer (e.g. an offer in a PRACK)
    const [r] = await Promise.all([aliceSession!.update({ body: OFFER2 }), net.flush()]);
    assert.equal(r.status, 500);
    const ra = Number(r.headers.get('Retry-After'));
    assert.ok(ra >= 0 && ra <= 10);
  });

  it('re-INVITE: new offer, 200 with answer, ACK; a BYE from the callee ends both sides', async () => {
    const s = setup((call) => call.accept({ body: ANSWER }));
    net = s.net;
    let aliceSession: Session | undefined;
    const ended: TerminationCause[] = [];
    dial(s.alice, { onAccepted: (x) => void (aliceSession = x), onTerminated: (_s, c) => void ended.push(c) });
    await net.flush();
    const [r] = await Promise.all([aliceSession!.reinvite({ body: OFFER2 }), net.flush()]);
    assert.equal(r.status, 200);
    await net.flush();
    s.bob.calls[0].session!.bye();
    await net.flush();
    assert.deepEqual(net.sequence().slice(3), [
      'alice>bob INVITE',
      'bob>alice 200 INVITE',
      'alice>bob ACK',
      'bob>alice BYE',
      'alice>bob 200 BYE',
    ]);
    assert.equal(ended[0].by, 'remote');
    const bye = net.log[6].msg as SipRequest;
    assert.equal(bye.toTag, aliceSession!.dialog.localTag);
  });

  it('a request in the dialog with a lower CSeq gets 500 (12.2.2)', async () => {
    const s = setup((call) => call.accept({ body: ANSWER }));
    net = s.net;
    let aliceSession: Session | undefined;
    dial(s.alice, { onAccepted: (x) => void (aliceSession = x) });
    await net.flush();
    const d = aliceSession!.dialog;
    const statuses: number[] = [];
    const first = d.createRequest('INFO');
    first.cseq = { seq: first.cseq.seq + 5, method: 'INFO' };
    s.alice.core.sendRequest(first, { onResponse: (r) => void statuses.push(r.status) });
    await net.flush();
    const late = d.createRequest('INFO'); // below the CSeq of the INFO Bob has seen
    s.alice.core.sendRequest(late, { onResponse: (r) => void statuses.push(r.status) });
    await net.flush();
    assert.deepEqual(statuses, [200, 500]);
    assert.equal(s.bob.ua.rejected.at(-1)?.status, 500);
  });

  it('Require: 100rel from the caller makes provisionals reliable; a caller without 100rel cannot get them', async () => {
    const s = setup((call) => {
      if (call.peerSupports100rel) call.progress(180);
      else assert.throws(() => call.progress(183, { reliable: true }), /does not support 100rel/);
      call.reject(486);
    });
    net = s.net;
    dial(s.alice, {}, { require100rel: true });
    await net.flush();
    const r180 = net.log.find((r) => r.what === '180 INVITE')!.msg;
    assert.ok(r180.rseq !== undefined);
    assert.ok(net.sequence().includes('alice>bob PRACK'));
  });
});

describe('sip/user-agents forking at the UAC (RFC 3261 13.2.2.4)', () => {
  it('ACKs the first 2xx, and ACKs then BYEs a second fork’s 2xx; 2xx retransmissions after the transaction are re-ACKed', async () => {
    const net = new Network();
    const alice = net.ua('alice', '127.0.0.1', 5061, { sessionTimer: false });
    // the INVITE goes to an address without a UA: we answer by hand, as a forking proxy would relay
    const accepted: Session[] = [];
    const ended: string[] = [];
    const call = new OutgoingCall(
      alice.core,
      {
        uri: parseUri('sip:bob@127.0.0.50:5060'),
        to: parseNameAddr('<sip:bob@example.com>'),
        from: parseNameAddr('<sip:alice@example.com>'),
        offer: { body: OFFER },
      },
      { onAccepted: (x) => void accepted.push(x), onTerminated: (x, c) => void ended.push(`${x.dialog.remoteTag}:${c.by}`) },
    ).start();
    await net.flush();
    const invite = net.unrouted[0].msg as SipRequest;
    const { createResponse } = await import('../../../../../daemon/sip/response.js');
    const answer = (status: number, tag: string, port: number) => {
      const r = createResponse(invite, status, { toTag: tag, ...(status === 200 ? { body: ANSWER } : {}) });
      r.headers.append('Contact', `<sip:bob@127.0.0.${port}:5060>`);
      if (status === 200) r.headers.append('Content-Type', 'application/sdp');
      return r;
    };
    net.inject(alice, answer(180, 'f1', 51));
    net.inject(alice, answer(180, 'f2', 52));
    net.inject(alice, answer(200, 'f2', 52));
    await net.flush();
    assert.equal(call.sessions.length, 2);
    assert.equal(accepted.length, 1);
    assert.equal(accepted[0].dialog.remoteTag, 'f2');
    assert.deepEqual(ended, ['f1:not-confirmed']);
    net.inject(alice, answer(200, 'f1', 51));
    await net.flush();
    const out = net.unrouted.slice(1).map((u) => `${u.msg.isRequest() ? u.msg.method : u.msg.status} ${u.dest.address} ${u.msg.toTag}`);
    assert.deepEqual(out, ['ACK 127.0.0.52 f2', 'ACK 127.0.0.51 f1', 'BYE 127.0.0.51 f1']);
    assert.deepEqual(ended, ['f1:not-confirmed', 'f1:local']);
    // after Timer M the transaction is gone; a 2xx retransmission is still ACKed
    net.clock.advance(40_000);
    await net.flush();
    net.inject(alice, answer(200, 'f2', 52));
    await net.flush();
    const last = net.unrouted.at(-1)!;
    assert.equal(last.msg.isRequest() && last.msg.method, 'ACK');
    assert.equal(last.msg.toTag, 'f2');
    assert.equal(accepted.length, 1);
    net.close();
  });
});

describe('sip/user-agents BYE in the early dialog (RFC 3261 15.1.2)', () => {
  it('the callee answers 200 to the BYE and 487 to the INVITE', async () => {
    const net = new Network();
    const alice = net.ua('alice', '127.0.0.1', 5061, { sessionTimer: false });
    const ended: string[] = [];
    net.ua('bob', '127.0.0.2', 5062, {
      sessionTimer: false,
      onInvite: (c) => {
        c.progress(180);
        return { onTerminated: (x) => void ended.push(x.by) };
      },
    });
    let failed = 0;
    const call = dial(alice, { onFailed: (r) => void (failed = r instanceof Error ? -1 : r.status) });
    await net.flush();
    call.sessions[0].bye();
    await net.flush();
    assert.deepEqual(net.sequence(), [
      'alice>bob INVITE',
      'bob>alice 180 INVITE',
      'alice>bob BYE',
      'bob>alice 200 BYE',
      'bob>alice 487 INVITE',
      'alice>bob ACK',
    ]);
    assert.deepEqual(ended, ['remote']);
    assert.equal(failed, 487);
    net.close();
  });
});

describe('sip/user-agents PRACK per early dialog (RFC 3262 4, forking)', () => {
  it('each fork’s reliable provisionals are PRACKed in their own dialog with their own RSeq order', async () => {
    const net = new Network();
    const alice = net.ua('alice', '127.0.0.1', 5061, { sessionTimer: false });
    const progress: string[] = [];
    dial(alice, { onProgress: (r, s) => void progress.push(`${r.status} ${s?.dialog.remoteTag ?? '-'} ${r.rseq ?? '-'}`) }, { uri: parseUri('sip:bob@127.0.0.50:5060') });
    await net.flush();
    const invite = net.unrouted[0].msg as SipRequest;
    const { createResponse } = await import('../../../../../daemon/sip/response.js');
    const rel = (status: number, tag: string, rseq: number) => {
      const r = createResponse(invite, status, { toTag: tag });
      r.headers.append('Contact', `<sip:bob@127.0.0.${tag === 'f1' ? 51 : 52}:5060>`);
      r.headers.append('Require', '100rel');
      r.headers.append('RSeq', rseq);
      return r;
    };
    for (const r of [rel(180, 'f1', 10), rel(180, 'f2', 500), rel(183, 'f1', 11), rel(183, 'f1', 11), rel(183, 'f2', 502), rel(183, 'f2', 501)])
      net.inject(alice, r);
    await net.flush();
    const pracks = net.unrouted
      .map((u) => u.msg)
      .filter((m): m is SipRequest => m.isRequest() && m.method === 'PRACK')
      .map((p) => `${p.toTag} ${p.headers.get('RAck')} cseq=${p.cseq.seq - invite.cseq.seq}`);
    assert.deepEqual(pracks, [
      `f1 10 ${invite.cseq.seq} INVITE cseq=1`,
      `f2 500 ${invite.cseq.seq} INVITE cseq=1`,
      `f1 11 ${invite.cseq.seq} INVITE cseq=2`,
      `f2 501 ${invite.cseq.seq} INVITE cseq=2`,
    ]);
    // the repeated 11 and the early 502 were neither PRACKed nor passed on
    assert.deepEqual(progress, ['180 f1 10', '180 f2 500', '183 f1 11', '183 f2 501']);
    net.close();
  });
});

describe('sip/user-agents UPDATE and offer rules', () => {
  it('no UPDATE offer in an early dialog before the first exchange, nor to a peer without UPDATE in Allow (RFC 3311 5.1)', async () => {
    const net = new Network();
    const alice = net.ua('alice', '127.0.0.1', 5061, { sessionTimer: false });
    const calls: IncomingCall[] = [];
    net.ua('bob', '127.0.0.2', 5062, {
      sessionTimer: false,
      onInvite: (c) => {
        calls.push(c);
        c.progress(180);
      },
    });
    const call = dial(alice, {});
    await net.flush();
    const early = call.sessions[0];
    assert.equal(early.state, 'early');
    await assert.rejects(early.update({ body: OFFER2 }), /offer while local-offer/);
    early.offerAnswer.remoteAnswer(); // as if an answer had come in a reliable 18x
    const r = await Promise.all([early.update({ body: OFFER2 }), net.flush()]);
    assert.equal(r[0].status, 500, 'allowed to send; Bob still owes the answer to the INVITE offer (RFC 3311 5.2)');
    early.peerAllow = new Set(['INVITE', 'ACK', 'BYE']);
    await assert.rejects(early.update(), /does not allow UPDATE/);
    // an INVITE without offer and a 180 without SDP: nothing exchanged yet
    const bare = dial(alice, {}, { offer: undefined });
    await net.flush();
    await assert.rejects(bare.sessions[0].update({ body: OFFER2 }), /before the initial offer\/answer exchange/);
    assert.equal(calls.length, 2);
    net.close();
  });

  it('an INVITE without offer: the callee must put one in the 2xx, and the caller answers in the ACK', async () => {
    const net = new Network();
    const alice = net.ua('alice', '127.0.0.1', 5061, { sessionTimer: false });
    let callee: IncomingCall | undefined;
    net.ua('bob', '127.0.0.2', 5062, { sessionTimer: false, onInvite: (c) => void (callee = c) });
    let accepted: Session | undefined;
    dial(alice, { onAccepted: (x) => void (accepted = x), ackBody: () => ({ body: ANSWER }) }, { offer: undefined });
    await net.flush();
    assert.throws(() => callee!.accept(), /must carry one/);
    callee!.accept({ body: OFFER });
    await net.flush();
    const ack = net.log.find((r) => r.what === 'ACK')!.msg as SipRequest;
    assert.equal(ack.body.toString(), ANSWER);
    assert.equal(accepted!.offerAnswer.completedExchanges, 1);
    assert.equal(callee!.session!.offerAnswer.state, 'stable');
    assert.equal(callee!.session!.offerAnswer.completedExchanges, 1);
    net.close();
  });
});

describe('sip/user-agents late 2xx', () => {
  it('a 2xx retransmission after our BYE is still acknowledged', async () => {
    const net = new Network();
    const alice = net.ua('alice', '127.0.0.1', 5061, { sessionTimer: false });
    let accepted: Session | undefined;
    dial(alice, { onAccepted: (x) => void (accepted = x) }, { uri: parseUri('sip:bob@127.0.0.50:5060') });
    await net.flush();
    const invite = net.unrouted[0].msg as SipRequest;
    const { createResponse } = await import('../../../../../daemon/sip/response.js');
    const ok = createResponse(invite, 200, { toTag: 'b', body: ANSWER });
    ok.headers.append('Contact', '<sip:bob@127.0.0.50:5060>');
    ok.headers.append('Content-Type', 'application/sdp');
    net.inject(alice, ok);
    await net.flush();
    accepted!.bye();
    net.inject(alice, ok);
    await net.flush();
    const out = net.unrouted.slice(1).map((u) => (u.msg.isRequest() ? u.msg.method : String(u.msg.status)));
    assert.deepEqual(out, ['ACK', 'BYE', 'ACK']);
    net.close();
  });
});
