import assert from 'node:assert/strict';
import { CallBackendError } from '../../../../../daemon/dbus/backend.js';
import type { SipRequest, SipResponse } from '../../../../../daemon/sip/message.js';
import { harness, IMPU, peerAnswer, type Harness } from './harness.js';

function request(h: Harness, what: string, n = 0): SipRequest {
  const r = h.net.log.filter((x) => x.what === what)[n];
  assert.ok(r, `no ${what} on the wire: ${h.net.sequence().join(', ')}`);
  return r.msg as SipRequest;
}

function response(h: Harness, what: string, n = 0): SipResponse {
  return request(h, what, n) as unknown as SipResponse;
}

/** the far end: a reliable 183 with its preconditions, and its QoS met in the answer to our UPDATE */
function answerWithPreconditions(call: Parameters<NonNullable<Harness['onPeerInvite']>>[0]): void {
  call.progress(183, { reliable: true, body: { body: peerAnswer() } });
  queueMicrotask(() => {
    call.session!.handlers.onOffer = () => ({ body: peerAnswer({ currLocal: 'sendrecv', currRemote: 'sendrecv' }) });
  });
}

describe('ims/call service: originating calls (TS 24.229 5.1.3, IR.92)', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('refuses to dial when not registered, emergency numbers, and bad numbers, with typed errors', async () => {
    h = await harness({ registered: false });
    await assert.rejects(h.service.dial('+15559999', ''), (e: unknown) => e instanceof CallBackendError && e.code === 'NotAllowed' && /not registered/.test(e.message));
    await assert.rejects(h.service.dial('112', ''), (e: unknown) => e instanceof CallBackendError && e.code === 'NotImplemented');
    await h.close();
    h = await harness();
    await assert.rejects(h.service.dial('911', ''), (e: unknown) => e instanceof CallBackendError && e.code === 'NotImplemented');
    await assert.rejects(h.service.dial('12ab', ''), (e: unknown) => e instanceof CallBackendError && e.code === 'InvalidFormat');
    assert.deepEqual(h.service.emergencyNumbers, ['112', '911']);
    assert.equal(h.net.log.length, 0, 'nothing sent');
  });

  it('INVITE with the IMS headers; 183 with preconditions → PRACK; voice bearer up → UPDATE (curr local sendrecv); 180 alerting; 200 active; far-end BYE', async () => {
    h = await harness();
    h.onPeerInvite = answerWithPreconditions;
    const info = await h.service.dial('+15559999', '');
    assert.equal(info.state, 'dialing');
    assert.equal(info.lineIdentification, '+15559999');
    await h.net.flush();
    assert.deepEqual(h.net.sequence(), ['ue>peer INVITE', 'peer>ue 183 INVITE', 'ue>peer PRACK', 'peer>ue 200 PRACK']);
    const invite = request(h, 'INVITE');
    assert.equal(invite.uri.scheme, 'tel');
    assert.equal(invite.headers.get('P-Preferred-Identity'), `<${IMPU}>`);
    assert.equal(invite.headers.get('P-Preferred-Service'), 'urn:urn-7:3gpp-service.ims.icsi.mmtel');
    assert.equal(invite.headers.get('Accept-Contact'), '*;+g.3gpp.icsi-ref="urn%3Aurn-7%3A3gpp-service.ims.icsi.mmtel"');
    assert.deepEqual(new Set(invite.optionTags('Supported')), new Set(['100rel', 'precondition', 'timer']));
    assert.equal(invite.headers.get('Route'), '<sip:orig@10.45.0.1:5060;lr>');
    assert.match(invite.headers.get('From')!, /<sip:\+15550001@ims\.test>/);
    const offer = invite.body.toString();
    assert.match(offer, /a=curr:qos local none\r\n/);
    assert.match(offer, /a=des:qos mandatory local sendrecv/);
    // the answer in the 183 is known: media starts (early media possible)
    assert.equal(h.driver.mediaLog[0]?.op, 'start');
    const ms = h.driver.mediaLog[0]!.op === 'start' ? h.driver.mediaLog[0]!.session : undefined;
    assert.deepEqual([ms?.codec.name, ms?.codec.payloadType, ms?.remoteAddress, ms?.remotePort, ms?.localPort, ms?.telephoneEvent?.payloadType], ['AMR-WB', 96, '10.45.0.1', 31000, 41000, 100]);

    h.driver.addBearer({ id: 6, qci: 1, filters: [] });
    await h.net.flush();
    assert.deepEqual(h.net.sequence().slice(4), ['ue>peer UPDATE', 'peer>ue 200 UPDATE']);
    assert.match(request(h, 'UPDATE').body.toString(), /a=curr:qos local sendrecv\r\na=curr:qos remote none\r\n/);

    const mt = h.peerCalls[0]!;
    mt.progress(180, { reliable: false });
    await h.net.flush();
    assert.equal(h.service.calls[0]!.state, 'alerting');
    mt.accept();
    await h.net.flush();
    assert.equal(h.service.calls[0]!.state, 'active');
    assert.ok(h.service.calls[0]!.startTime);
    mt.session!.bye();
    await h.net.flush();
    assert.deepEqual(h.states(info.id), ['dialing', 'alerting', 'active', 'disconnected']);
    const removed = h.events.find((e) => e.event === 'removed');
    assert.equal(removed?.call.disconnectReason, 'remote');
    assert.deepEqual(h.driver.mediaLog.map((m) => m.op), ['start', 'stop']);
    assert.equal(h.service.calls.length, 0);
  });

  it('voice bearer lost during an active call: kept when it returns within the grace time, else BYE with reason network', async () => {
    h = await harness();
    h.onPeerInvite = answerWithPreconditions;
    const info = await h.service.dial('+15559999', '');
    await h.net.flush();
    h.driver.addBearer({ id: 6, qci: 1, filters: [] });
    await h.net.flush();
    h.peerCalls[0]!.accept();
    await h.net.flush();
    assert.equal(h.service.calls[0]!.state, 'active');
    // lost and back within 10 s (a handover): the call stays
    h.driver.dropBearer(6);
    await h.net.run(6000, 500);
    h.driver.addBearer({ id: 7, qci: 1, filters: [] });
    await h.net.run(12_000, 500);
    assert.equal(h.service.calls[0]?.state, 'active');
    assert.ok(!h.net.sequence().includes('ue>peer BYE'));
    // lost for good: BYE once the grace time is over
    h.driver.dropBearer(7);
    await h.net.run(9000, 500);
    assert.ok(!h.net.sequence().includes('ue>peer BYE'), 'not before 10 s');
    await h.net.run(2000, 500);
    assert.ok(h.net.sequence().includes('ue>peer BYE'), h.net.sequence().join(', '));
    const removed = h.events.find((e) => e.event === 'removed' && e.call.id === info.id)!;
    assert.equal(removed.call.disconnectReason, 'network');
    assert.equal(removed.call.information, 'voice bearer (QCI 1) lost');
    assert.deepEqual(h.driver.mediaLog.map((m) => m.op), ['start', 'stop']);
  });

  it('P-Early-Media: sendrecv on 180 tells the dialer the network plays ringback (RFC 5009)', async () => {
    h = await harness();
    // the core builds the 180: add the header as the network would on its way
    h.onPeerInvite = (call) => {
      const orig = call.tx.respond.bind(call.tx);
      call.tx.respond = (res) => {
        if (res.status === 180) res.headers.set('P-Early-Media', 'sendrecv');
        orig(res);
      };
      call.progress(180, { reliable: true, body: { body: peerAnswer({ preconditions: false }) } });
    };
    const info = await h.service.dial('5559999', 'enabled');
    await h.net.flush();
    const c = h.service.calls[0]!;
    assert.equal(c.state, 'alerting');
    assert.equal(c.earlyMedia, true);
    const invite = request(h, 'INVITE');
    // a local number: SIP URI with phone-context and user=phone; hidden caller id: anonymous From, Privacy: id
    assert.equal(invite.headers.get('Privacy'), 'id');
    assert.match(invite.headers.get('From')!, /anonymous@anonymous\.invalid/);
    assert.match(`${invite.uri.scheme}:${(invite.uri as { user?: string }).user}`, /^sip:5559999;phone-context=ims\.test$/);
    await h.service.hangup(info.id);
    await h.net.flush();
    assert.deepEqual(h.net.sequence().filter((s) => /CANCEL|487/.test(s)), ['ue>peer CANCEL', 'peer>ue 200 CANCEL', 'peer>ue 487 INVITE']);
    const removed = h.events.find((e) => e.event === 'removed')!;
    assert.equal(removed.call.disconnectReason, 'local');
    assert.equal(removed.call.information, '487 Request Terminated');
  });

  it('busy: 486 from the far end ends the call with reason remote and "486 Busy Here"', async () => {
    h = await harness();
    h.onPeerInvite = (call) => call.reject(486, 'Busy Here');
    await h.service.dial('+15559999', '');
    await h.net.flush();
    const removed = h.events.find((e) => e.event === 'removed')!;
    assert.equal(removed.call.disconnectReason, 'remote');
    assert.equal(removed.call.information, '486 Busy Here');
    assert.equal(h.driver.mediaLog.length, 0);
  });

  it('no voice bearer within qosTimeoutMs: the call is cancelled', async () => {
    h = await harness({ service: { qosTimeoutMs: 3000 } });
    h.onPeerInvite = (call) => call.progress(183, { reliable: true, body: { body: peerAnswer() } });
    await h.service.dial('+15559999', '');
    await h.net.run(3500, 500);
    assert.ok(h.net.sequence().includes('ue>peer CANCEL'), h.net.sequence().join(', '));
    assert.equal(h.events.at(-1)?.event, 'removed');
    assert.equal(h.events.at(-1)?.call.disconnectReason, 'local');
  });

  it('a driver without bearer events counts as QoS met: curr local sendrecv in the INVITE, no UPDATE', async () => {
    h = await harness({ capabilities: { bearerEvents: false } });
    h.onPeerInvite = (call) => {
      call.progress(183, { reliable: true, body: { body: peerAnswer({ currRemote: 'sendrecv' }) } });
      call.handlers.onPrack = () => call.accept();
    };
    await h.service.dial('+15559999', '');
    await h.net.flush();
    assert.match(request(h, 'INVITE').body.toString(), /a=curr:qos local sendrecv/);
    assert.ok(!h.net.sequence().includes('ue>peer UPDATE'), h.net.sequence().join(', '));
    assert.equal(h.service.calls[0]?.state, 'active');
    assert.ok(response(h, '200 INVITE'));
  });

  it('hold and resume by re-INVITE (a=sendonly / a=sendrecv); DTMF through the media side', async () => {
    h = await harness({ capabilities: { bearerEvents: false } });
    h.onPeerInvite = (call) => {
      call.accept({ body: peerAnswer({ preconditions: false }) });
      queueMicrotask(() => {
        call.session!.handlers.onOffer = (req) => ({ body: peerAnswer({ preconditions: false, direction: /a=sendonly/.test(req.body.toString()) ? 'recvonly' : 'sendrecv' }) });
      });
    };
    const info = await h.service.dial('+15559999', '');
    await h.net.flush();
    await Promise.all([h.service.sendTones('1#'), h.net.flush()]);
    await Promise.all([h.service.swapCalls(), h.net.flush()]);
    assert.equal(h.service.calls[0]!.state, 'held');
    assert.match(request(h, 'INVITE', 1).body.toString(), /a=sendonly/);
    await Promise.all([h.service.swapCalls(), h.net.flush()]);
    assert.equal(h.service.calls[0]!.state, 'active');
    assert.match(request(h, 'INVITE', 2).body.toString(), /a=sendrecv/);
    await h.net.flush();
    assert.deepEqual(h.driver.mediaLog.map((m) => (m.op === 'start' || m.op === 'update' ? `${m.op}:${m.session.direction}` : m.op === 'tones' ? `tones:${m.tones}` : m.op)), ['start:sendrecv', 'tones:1#', 'update:sendonly', 'update:sendrecv']);
    assert.deepEqual(h.states(info.id), ['dialing', 'active', 'held', 'active']);
  });

  it('a 200 whose answer names no codec we offered: BYE, reason network', async () => {
    h = await harness({ capabilities: { bearerEvents: false } });
    h.onPeerInvite = (call) => call.accept({ body: 'v=0\r\no=- 1 1 IN IP4 10.45.0.1\r\ns=-\r\nc=IN IP4 10.45.0.1\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\n' });
    await h.service.dial('+15559999', '');
    await h.net.flush();
    assert.deepEqual(h.net.sequence(), ['ue>peer INVITE', 'peer>ue 200 INVITE', 'ue>peer ACK', 'ue>peer BYE', 'peer>ue 200 BYE']);
    const removed = h.events.find((e) => e.event === 'removed')!;
    assert.equal(removed.call.disconnectReason, 'network');
    assert.match(removed.call.information ?? '', /unusable SDP answer: the answer names no codec we offered/);
  });

  it("the registration's SIP session ends (PDN lost): the call ends with reason network and its media stops", async () => {
    h = await harness({ capabilities: { bearerEvents: false } });
    h.onPeerInvite = (call) => call.accept({ body: peerAnswer({ preconditions: false }) });
    await h.service.dial('+15559999', '');
    await h.net.flush();
    assert.equal(h.service.calls[0]?.state, 'active');
    // still the same SIP session: nothing happens
    h.registration.events.emit('state', { state: 'reregistering', impus: [], serviceRoute: [] });
    assert.equal(h.service.calls.length, 1);
    (h.registration as { sip: unknown }).sip = undefined;
    h.registration.events.emit('state', { state: 'idle', impus: [], serviceRoute: [] });
    await h.net.flush();
    const removed = h.events.find((e) => e.event === 'removed')!;
    assert.equal(removed.call.disconnectReason, 'network');
    assert.deepEqual(h.driver.mediaLog.map((m) => m.op), ['start', 'stop']);
  });
});
