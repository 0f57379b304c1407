import assert from 'node:assert/strict';
import { parseNameAddr } from '../../../../../daemon/sip/header-values.js';
import type { SipRequest, SipResponse } from '../../../../../daemon/sip/message.js';
import { parseUri } from '../../../../../daemon/sip/uri.js';
import { OutgoingCall, type OutgoingCallHandlers, type Session } from '../../../../../daemon/sip/user-agents/index.js';
import { DEFAULT_MEDIA } from '../../../../../modem-drivers/simulated/simulated-driver.js';
import { harness, peerAnswer, peerOffer, type Harness } from './harness.js';

/** the far end calls imsd through the peer */
function callIn(h: Harness, o: { sdp?: string | null; headers?: Array<[string, string]>; handlers?: OutgoingCallHandlers; supported?: string } = {}): OutgoingCall {
  const headers: Array<[string, string]> = [['P-Asserted-Identity', '"Far End" <sip:+15559999@ims.test>'], ['P-Asserted-Identity', '<tel:+15559999>'], ...(o.headers ?? [])];
  if (o.supported) headers.push(['Supported', o.supported]);
  return new OutgoingCall(
    h.peer.core,
    { uri: parseUri('sip:ue@10.45.0.2:5060'), to: parseNameAddr('<sip:+15550001@ims.test>'), from: parseNameAddr('<sip:+15559999@ims.test>'), ...(o.sdp === null ? {} : { offer: { body: o.sdp ?? peerOffer() } }), headers },
    o.handlers ?? {},
  ).start();
}

describe('ims/call service: terminating calls (TS 24.229 5.1.4, IR.92)', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('no preconditions: reliable 180 with the answer at once, CallAdded incoming with P-Asserted-Identity, Answer → 200, Hangup → BYE', async () => {
    h = await harness();
    let accepted: Session | undefined;
    callIn(h, { handlers: { onAccepted: (s) => void (accepted = s) } });
    await h.net.flush();
    assert.deepEqual(h.net.sequence(), ['peer>ue INVITE', 'ue>peer 180 INVITE', 'peer>ue PRACK', 'ue>peer 200 PRACK']);
    const r180 = h.net.log[1]!.msg as SipResponse;
    assert.deepEqual(r180.optionTags('Require'), ['100rel']);
    assert.match(r180.body.toString(), /m=audio 41000 RTP\/AVP 104 105/);
    const added = h.events.find((e) => e.event === 'added')!.call;
    assert.equal(added.state, 'incoming');
    assert.equal(added.lineIdentification, '+15559999');
    assert.equal(added.name, 'Far End');
    assert.equal(added.direction, 'incoming');
    await h.service.answer(added.id);
    await h.net.flush();
    assert.ok(accepted);
    assert.equal(h.service.calls[0]!.state, 'active');
    const ok = h.net.log.find((r) => r.what === '200 INVITE')!.msg as SipResponse;
    assert.equal(ok.body.length, 0, 'the answer went in the reliable 180');
    await h.service.hangup(added.id);
    await h.net.flush();
    assert.deepEqual(h.net.sequence().slice(-2), ['ue>peer BYE', 'peer>ue 200 BYE']);
    assert.equal(h.events.at(-1)!.event, 'removed');
    assert.equal(h.events.at(-1)!.call.disconnectReason, 'local');
    assert.deepEqual(h.driver.mediaLog.map((m) => m.op), ['start', 'stop']);
  });

  it("preconditions: reliable 183 with the answer, PRACK, the caller's UPDATE with its QoS, then 180 and CallAdded", async () => {
    h = await harness({ capabilities: { bearerEvents: false } });
    let session: Session | undefined;
    callIn(h, {
      sdp: peerOffer({ preconditions: true }),
      supported: 'precondition',
      handlers: { onProgress: (_r, s) => void (session = s ?? session), onPrackResponse: () => undefined },
    });
    await h.net.flush();
    assert.deepEqual(h.net.sequence(), ['peer>ue INVITE', 'ue>peer 183 INVITE', 'peer>ue PRACK', 'ue>peer 200 PRACK']);
    const r183 = h.net.log[1]!.msg as SipResponse;
    const sdp = r183.body.toString();
    assert.match(sdp, /a=curr:qos local sendrecv\r\na=curr:qos remote none\r\na=des:qos mandatory local sendrecv\r\na=des:qos mandatory remote sendrecv\r\na=conf:qos remote sendrecv/);
    assert.equal(h.events.length, 0, 'not announced before the preconditions are met');
    const res = await Promise.all([session!.update({ body: peerOffer({ preconditions: true, currLocal: 'sendrecv' }) }), h.net.flush()]).then(([r]) => r);
    assert.equal(res.status, 200);
    assert.match(res.body.toString(), /a=curr:qos local sendrecv\r\na=curr:qos remote sendrecv/);
    await h.net.flush();
    assert.deepEqual(h.net.sequence().slice(4), ['peer>ue UPDATE', 'ue>peer 200 UPDATE', 'ue>peer 180 INVITE', 'peer>ue PRACK', 'ue>peer 200 PRACK']);
    assert.equal(h.events[0]?.event, 'added');
  });

  it('caller without 100rel: unreliable 180 without body, the answer in the 200', async () => {
    h = await harness({ peer: { supported: [] } });
    callIn(h);
    await h.net.flush();
    assert.deepEqual(h.net.sequence(), ['peer>ue INVITE', 'ue>peer 180 INVITE']);
    assert.equal((h.net.log[1]!.msg as SipResponse).body.length, 0);
    await h.service.answer(h.service.calls[0]!.id);
    await h.net.flush();
    const ok = h.net.log.find((r) => r.what === '200 INVITE')!.msg as SipResponse;
    assert.match(ok.body.toString(), /m=audio 41000 RTP\/AVP 104 105/);
  });

  it("Hangup on a ringing call answers 603 Decline; the caller's CANCEL gets 487 and the call is removed", async () => {
    h = await harness();
    let failed: SipResponse | Error | undefined;
    callIn(h, { handlers: { onFailed: (r) => void (failed = r) } });
    await h.net.flush();
    await h.service.hangup(h.service.calls[0]!.id);
    await h.net.flush();
    assert.ok(failed && !(failed instanceof Error) && failed.status === 603, String(failed));
    assert.equal(h.events.at(-1)!.call.information, '603 Decline');
    assert.equal(h.events.at(-1)!.call.disconnectReason, 'local');

    const c = callIn(h);
    await h.net.flush();
    c.cancel();
    await h.net.flush();
    assert.ok(h.net.sequence().includes('ue>peer 487 INVITE'), h.net.sequence().join(', '));
    const last = h.events.at(-1)!;
    assert.equal(last.event, 'removed');
    assert.equal(last.call.disconnectReason, 'remote');
    assert.equal(last.call.information, '487 Request Terminated');
    assert.equal(h.service.calls.length, 0);
  });

  it('withheld caller (Privacy: id); an offer without a common codec gets 488', async () => {
    h = await harness();
    callIn(h, { headers: [['Privacy', 'id']] });
    await h.net.flush();
    assert.equal(h.service.calls[0]!.lineIdentification, 'withheld');
    await h.service.hangup(h.service.calls[0]!.id);
    await h.net.flush();
    let failed: SipResponse | Error | undefined;
    callIn(h, { sdp: 'v=0\r\no=- 1 1 IN IP4 10.45.0.1\r\ns=-\r\nc=IN IP4 10.45.0.1\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\n', handlers: { onFailed: (r) => void (failed = r) } });
    await h.net.flush();
    assert.ok(failed && !(failed instanceof Error) && failed.status === 488);
    assert.equal(h.events.filter((e) => e.event === 'added').length, 1, 'the refused call was never shown');
  });

  it('call waiting: a second call during an active one is "waiting"; HoldAndAnswer holds the first (sendonly) and answers; far-end hold shows RemoteHeld; ReleaseAndAnswer', async () => {
    h = await harness({ capabilities: { bearerEvents: false } });
    const sessions: Session[] = [];
    const handlers = (): OutgoingCallHandlers => ({ onAccepted: (s) => {
      sessions.push(s);
      s.handlers.onOffer = (req) => ({ body: peerAnswer({ preconditions: false, direction: /a=sendonly/.test(req.body.toString()) ? 'recvonly' : 'sendrecv' }).replace(/96/g, '104').replace(/100/g, '105') });
    } });
    callIn(h, { handlers: handlers() });
    await h.net.flush();
    const first = h.service.calls[0]!.id;
    await h.service.answer(first);
    await h.net.flush();
    callIn(h, { handlers: handlers() });
    await h.net.flush();
    const second = h.service.calls[1]!;
    assert.equal(second.state, 'waiting');
    // a third one while one waits: busy
    let third: SipResponse | Error | undefined;
    callIn(h, { handlers: { onFailed: (r) => void (third = r) } });
    await h.net.flush();
    assert.ok(third && !(third instanceof Error) && third.status === 486);

    await Promise.all([h.service.holdAndAnswer(), h.net.flush()]);
    await h.net.flush();
    const byId = (id: string) => h.service.calls.find((c) => c.id === id)!;
    assert.equal(byId(first).state, 'held');
    assert.equal(byId(second.id).state, 'active');
    const reinvite = h.net.log.filter((r) => r.what === 'INVITE' && r.from.startsWith('10.45.0.2'))[0]!.msg as SipRequest;
    assert.match(reinvite.body.toString(), /a=sendonly/);

    // the far end holds the active call
    const res = await Promise.all([sessions[1]!.reinvite({ body: peerOffer({ direction: 'sendonly' }) }), h.net.flush()]).then(([r]) => r);
    assert.equal(res.status, 200);
    assert.match(res.body.toString(), /a=recvonly/);
    assert.equal(byId(second.id).remoteHeld, true);

    await Promise.all([h.service.releaseAndAnswer(), h.net.flush()]);
    await h.net.flush();
    assert.equal(h.service.calls.length, 1);
    assert.equal(h.service.calls[0]!.id, first);
    assert.equal(h.service.calls[0]!.state, 'active', 'the held call was resumed');
    await h.service.hangupAll();
    await h.net.flush();
    assert.equal(h.service.calls.length, 0);
  });

  it('DTMF by SIP INFO (application/dtmf-relay) when no telephone-event was agreed', async () => {
    h = await harness({ media: { ...DEFAULT_MEDIA, telephoneEventRates: [] } });
    const infos: string[] = [];
    callIn(h, { sdp: peerOffer({ telephoneEvent: false }), handlers: { onAccepted: (s) => void (s.handlers.onRequest = (r) => void infos.push(`${r.headers.get('Content-Type')}|${r.body.toString()}`)) } });
    await h.net.flush();
    await h.service.answer(h.service.calls[0]!.id);
    await h.net.flush();
    await Promise.all([h.service.sendTones('5'), h.net.flush()]);
    assert.deepEqual(infos, ['application/dtmf-relay|Signal=5\r\nDuration=160\r\n']);
    assert.ok(!h.driver.mediaLog.some((m) => m.op === 'tones'));
  });

  it('an INVITE without offer: 180 unreliable, our offer in the 200, the answer from the ACK starts the media', async () => {
    h = await harness({ capabilities: { bearerEvents: false } });
    callIn(h, { sdp: null, handlers: { ackBody: () => ({ body: peerAnswer({ preconditions: false }) }) } });
    await h.net.flush();
    assert.deepEqual(h.net.sequence(), ['peer>ue INVITE', 'ue>peer 180 INVITE']);
    assert.equal(h.service.calls[0]!.state, 'incoming');
    await h.service.answer(h.service.calls[0]!.id);
    await h.net.flush();
    const ok = h.net.log.find((r) => r.what === '200 INVITE')!.msg as SipResponse;
    assert.match(ok.body.toString(), /m=audio 41000 RTP\/AVP 96 97 98 99 100 101/);
    assert.doesNotMatch(ok.body.toString(), /a=curr/);
    await h.net.flush();
    const start = h.driver.mediaLog.find((m) => m.op === 'start');
    assert.ok(start && start.op === 'start');
    assert.equal(start.session.codec.name, 'AMR-WB');
    assert.equal(start.session.remotePort, 31000);
    assert.equal(h.service.calls[0]!.state, 'active');
  });
});
