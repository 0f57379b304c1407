// The user-agent layer (daemon/sip/user-agents: UserAgentCore, OutgoingCall, IncomingCall,
// Session) on our transaction layer and transport, against peers written by others, through
// Kamailio as registrar and record-routing proxy with MD5 digest, over UDP and TCP:
// INVITE/180/200/ACK/BYE with baresip both ways, and 100rel/PRACK/UPDATE with SIPp both ways.
// Evidence from the peers themselves: baresip's ctrl_tcp events, SIPp's exit code (its
// scenarios check RSeq/RAck and SDP), Kamailio's log of in-dialog routing.
import assert from 'node:assert/strict';
import { parseNameAddr } from '../../../../../daemon/sip/header-values.js';
import type { SipRequest, SipResponse } from '../../../../../daemon/sip/message.js';
import { parseUri } from '../../../../../daemon/sip/uri.js';
import { digestAuthorizer } from '../../../../../daemon/sip/user-agents/authorizer.js';
import type { IncomingCall } from '../../../../../daemon/sip/user-agents/invite-server.js';
import { OutgoingCall, type OutgoingCallHandlers } from '../../../../../daemon/sip/user-agents/invite-client.js';
import type { Session, TerminationCause } from '../../../../../daemon/sip/user-agents/session.js';
import { BaresipPeer } from '../../../../helpers/peers/baresip.js';
import { KamailioPeer } from '../../../../helpers/peers/kamailio.js';
import { describeSipp, SippPeer } from '../../../../helpers/peers/sipp.js';
import { command, requirePrerequisites } from '../../../../helpers/prereq.js';
import { OurUa, sdp } from './our-ua.js';

const DOMAIN = 'imsd.test';

interface Placed {
  session: Session;
  final: SipResponse;
  progress: number[];
  /** the first INVITE, and the one that was answered (the retry after the 407) */
  first: SipRequest;
  invite: SipRequest;
}

/**
 * An OutgoingCall through an authenticating proxy: the core's digestAuthorizer answers Kamailio's
 * 407 and the call retries on the same Call-ID with CSeq + 1 (RFC 3261 22.2).
 */
function placeCall(u: OurUa, user: string, target: string, extra: OutgoingCallHandlers = {}, offer = sdp('127.0.0.1', 40030, 1)): Promise<Placed> {
  const core = u.core;
  if (!core) throw new Error('no user agent core');
  const progress: number[] = [];
  return new Promise((resolve, reject) => {
    const call: OutgoingCall = new OutgoingCall(core, {
      uri: parseUri(target), to: parseNameAddr(`<${target}>`), from: parseNameAddr(`<sip:${user}@${DOMAIN}>`), offer: { body: offer },
    }, {
      ...extra,
      onProgress: (res, s) => {
        progress.push(res.status);
        extra.onProgress?.(res, s);
      },
      onAccepted: (session, res) => resolve({ session, final: res, progress, first, invite: call.invite }),
      onFailed: (res) => reject(res instanceof Error ? res : new Error(`INVITE failed: ${res.status} ${res.reason}`)),
    });
    const first = call.start().invite;
  });
}

/** RFC 3261 22.2: the retry is the same call (Call-ID, From tag), CSeq + 1, with credentials */
function assertRetriedAfter407(p: Placed): void {
  assert.notEqual(p.invite, p.first, 'the INVITE was challenged and sent again');
  assert.equal(p.invite.callId, p.first.callId);
  assert.equal(p.invite.fromTag, p.first.fromTag);
  assert.equal(p.invite.cseq.seq, p.first.cseq.seq + 1);
  assert.equal(p.first.headers.has('Proxy-Authorization'), false);
  assert.match(p.invite.headers.get('Proxy-Authorization') ?? '', /^Digest username="[^"]+", realm="imsd\.test", .*algorithm=MD5, qop=auth, nc=00000001/);
}

async function register(u: OurUa, k: KamailioPeer, user: string, password: string): Promise<void> {
  const reg = u.newRequest('REGISTER', '', { user, domain: DOMAIN }, [['Expires', '600']]);
  await u.sendOk(reg, { address: '127.0.0.1', port: k.port, protocol: u.protocol }, { username: user, password });
}

function until<T>(what: string, ms = 5000): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((res, rej) => {
    const t = setTimeout(() => rej(new Error(`timed out waiting for ${what}`)), ms);
    resolve = (v) => {
      clearTimeout(t);
      res(v);
    };
  });
  return { promise, resolve };
}

describe('user agents (UserAgentCore, OutgoingCall, IncomingCall, Session) with real peers through Kamailio', function () {
  this.timeout(15000);
  let kamailio: KamailioPeer | undefined;
  let baresip: BaresipPeer | undefined;
  let ua: OurUa | undefined;
  const sipps: SippPeer[] = [];
  const rejected: string[] = [];

  before(async function () {
    requirePrerequisites(this, [command('kamailio'), command('kamcmd'), command('baresip'), command('sipp')]);
    kamailio = await KamailioPeer.start({ addresses: ['127.0.0.1'] });
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed') {
      console.log(`rejected by our core: ${rejected.join('; ') || 'none'}`);
      if (baresip) console.log(`baresip log:\n${baresip.log().slice(-1500)}`);
    }
    rejected.length = 0;
    for (const s of sipps.splice(0)) await s.stop();
    await baresip?.stop();
    await ua?.close();
    baresip = undefined;
    ua = undefined;
  });
  after(async () => {
    await kamailio?.stop();
  });

  async function openUa(user: string, protocol: 'udp' | 'tcp', onInvite?: (call: IncomingCall) => void, password?: string): Promise<OurUa> {
    const k = kamailio as KamailioPeer;
    ua = await OurUa.open('127.0.0.1', protocol, {
      core: {
        user, proxy: { address: '127.0.0.1', port: k.port, protocol },
        // SIPp's scenarios and baresip 1.0 do not take part in RFC 4028 session timers
        options: {
          sessionTimer: false, onRejected: (req, status, why) => rejected.push(`${req.method} ${status} ${why}`), ...(onInvite ? { onInvite } : {}),
          ...(password ? { authorizer: digestAuthorizer({ credentials: (realm) => (realm === DOMAIN ? { username: user, password } : undefined) }) } : {}),
        },
      },
    });
    return ua;
  }

  for (const protocol of ['udp', 'tcp'] as const) {
    const alice = `ua-alice-${protocol}`;
    const bob = `ua-bob-${protocol}`;
    const carol = `ua-carol-${protocol}`;
    const dave = `ua-dave-${protocol}`;

    it(`OutgoingCall to baresip over ${protocol}: 407, 180, 200 (answered over ctrl_tcp), ACK, then Session.bye()`, async () => {
      const k = kamailio as KamailioPeer;
      await k.addUser(alice, 'alice-pw');
      await k.addUser(bob, 'bob-pw');
      // manual answer: baresip rings (180), then answers when told (200)
      const b = (baresip = await BaresipPeer.start({ kamailio: k, user: bob, password: 'bob-pw', transport: protocol, answer: 'manual' }));
      const answered = b.answerNextCall();
      answered.catch(() => undefined); // awaited below; no unhandled rejection if the test fails first
      const u = await openUa(alice, protocol, undefined, 'alice-pw');
      const ended = until<TerminationCause>('our session to end');
      const placed = await placeCall(u, alice, `sip:${bob}@${DOMAIN}`, { onTerminated: (_s, cause) => ended.resolve(cause) });
      await answered;
      assertRetriedAfter407(placed);
      assert.ok(placed.progress.includes(180), `progress: ${placed.progress.join(', ')}`);
      assert.match(placed.final.body.toString(), /m=audio \d+ RTP\/AVP 0/);
      assert.equal(placed.session.dialog.routeSet.length, 1, 'the route set is Kamailio');
      await b.ctrl.waitEvent('CALL_ESTABLISHED', (e) => e.type === 'CALL_ESTABLISHED');
      assert.ok(placed.session.bye());
      assert.deepEqual(await ended.promise, { by: 'local' });
      const closed = await b.ctrl.waitEvent('CALL_CLOSED', (e) => e.type === 'CALL_CLOSED');
      assert.equal(closed.peeruri, `sip:${alice}@${DOMAIN}`);
      for (const m of ['ACK', 'BYE']) assert.match(k.log(), new RegExp(`in-dialog ${m} routed to sip:${bob}[^@]*@127\\.0\\.0\\.1:${b.sipPort}`, 'i'));
      assert.deepEqual(rejected, []);
    });

    it(`IncomingCall from baresip over ${protocol}: progress(180), accept() with SDP, ACK confirms, baresip's BYE ends it`, async () => {
      const k = kamailio as KamailioPeer;
      await k.addUser(alice, 'alice-pw');
      await k.addUser(bob, 'bob-pw');
      const b = (baresip = await BaresipPeer.start({ kamailio: k, user: bob, password: 'bob-pw', transport: protocol }));
      const confirmed = until<void>('the ACK for our 200');
      const ended = until<TerminationCause>('the call to end');
      const u = await openUa(alice, protocol, (call) => {
        call.handlers = { onConfirmed: () => confirmed.resolve(), onTerminated: (cause) => ended.resolve(cause) };
        call.progress(180);
        call.accept({ body: sdp('127.0.0.1', 40032, 1) });
      });
      await register(u, k, alice, 'alice-pw');
      assert.equal((await b.ctrl.command('dial', `sip:${alice}@${DOMAIN}`)).ok, true);
      await confirmed.promise;
      const established = await b.ctrl.waitEvent('CALL_ESTABLISHED', (e) => e.type === 'CALL_ESTABLISHED');
      assert.equal(established.direction, 'outgoing');
      assert.equal((await b.ctrl.command('hangup')).ok, true);
      const cause = await ended.promise;
      assert.equal(cause.by, 'remote');
      await b.ctrl.waitEvent('CALL_CLOSED', (e) => e.type === 'CALL_CLOSED');
      assert.equal(u.core?.dialogCount, 0);
      assert.deepEqual(rejected, []);
    });

    it(`OutgoingCall to a SIPp UAS over ${protocol}: automatic PRACKs, Session.update() with SDP after the first PRACK's 200`, async () => {
      const k = kamailio as KamailioPeer;
      await k.addUser(alice, 'alice-pw');
      await k.addUser(carol, 'carol-pw');
      const uas = await SippPeer.start({ scenario: 'uas-prack-update.xml', local: '127.0.0.1', transport: protocol, service: carol });
      sipps.push(uas);
      const reg = await SippPeer.start({
        scenario: 'register.xml', local: '127.0.0.1', transport: protocol, remote: `127.0.0.1:${k.port}`, service: carol, password: 'carol-pw',
        keys: { domain: DOMAIN, contact_host: '127.0.0.1', contact_port: uas.port, contact_transport: protocol },
      });
      sipps.push(reg);
      const regResult = await reg.done();
      assert.equal(regResult.code, 0, describeSipp('REGISTER', regResult));
      const u = await openUa(alice, protocol, undefined, 'alice-pw');
      // the SIPp UAS expects the UPDATE only after its 200 to the first PRACK: watch the wire for it
      const prack1Ok = until<void>('200 to the first PRACK');
      u.transport.on('message', (m) => {
        if (m.message.isResponse() && m.message.cseq.method === 'PRACK' && m.message.status === 200) prack1Ok.resolve();
      });
      let updated: Promise<SipResponse> | undefined;
      const placed = await placeCall(u, alice, `sip:${carol}@${DOMAIN}`, {
        onProgress: (res, s) => {
          if (res.status === 183 && s) updated = prack1Ok.promise.then(() => s.update({ body: sdp('127.0.0.1', 40030, 2) }));
        },
      });
      assert.ok(updated, 'the reliable 183 arrived');
      const up = await updated;
      assert.equal(up.status, 200);
      assert.match(up.body.toString(), /m=audio/, 'the UPDATE answer');
      assert.deepEqual(placed.progress.filter((s) => s > 100), [183, 180]);
      assert.equal(placed.session.offerAnswer.state, 'stable');
      assert.ok(placed.session.bye());
      const r = await uas.done();
      assert.equal(r.code, 0, describeSipp('UAS', r));
      for (const m of ['PRACK', 'UPDATE', 'ACK', 'BYE']) assert.match(k.log(), new RegExp(`in-dialog ${m} routed to sip:${carol}@127\\.0\\.0\\.1:${uas.port}`, 'i'));
      assert.deepEqual(rejected, []);
    });

    it(`IncomingCall from a SIPp UAC over ${protocol}: reliable 183 with SDP, PRACK, UPDATE answered by onOffer, reliable 180, 200 after its PRACK`, async () => {
      const k = kamailio as KamailioPeer;
      await k.addUser(alice, 'alice-pw');
      await k.addUser(dave, 'dave-pw');
      const confirmed = until<void>('the ACK for our 200');
      const ended = until<TerminationCause>('the call to end');
      const pracks: number[] = [];
      const u = await openUa(alice, protocol, (call) => {
        assert.equal(call.peerSupports100rel, true);
        call.handlers = {
          onPrack: (prack) => {
            pracks.push(prack.rack?.rseq ?? -1);
            // after the second PRACK (the 180's) the call is answered from inside the handler:
            // the SIPp scenario expects the PRACK's own 200 on the wire before the INVITE's
            if (pracks.length === 2) call.accept();
          },
          onConfirmed: () => confirmed.resolve(),
          onTerminated: (cause) => ended.resolve(cause),
        };
        call.progress(183, { reliable: true, body: { body: sdp('127.0.0.1', 40034, 1) } });
        const session = call.session as Session;
        session.handlers.onOffer = () => {
          // RFC 3311 5.2: the answer goes in the UPDATE's 2xx; then ring, reliably
          setImmediate(() => call.progress(180, { reliable: true }));
          return { body: sdp('127.0.0.1', 40034, 2) };
        };
      });
      await register(u, k, alice, 'alice-pw');
      const uac = await SippPeer.start({
        scenario: 'uac-prack-update.xml', local: '127.0.0.1', transport: protocol, remote: `127.0.0.1:${k.port}`, service: dave, password: 'dave-pw',
        keys: { domain: DOMAIN, callee: alice },
      });
      sipps.push(uac);
      const r = await uac.done();
      assert.equal(r.code, 0, describeSipp('UAC', r) + `\nrejected by our core: ${rejected.join('; ')}`);
      await confirmed.promise;
      const cause = await ended.promise;
      assert.equal(cause.by, 'remote');
      assert.equal(pracks.length, 2);
      assert.equal(pracks[1], pracks[0] + 1, 'RSeq counts up by one (RFC 3262 3)');
      assert.deepEqual(rejected, []);
    });
  }
});
