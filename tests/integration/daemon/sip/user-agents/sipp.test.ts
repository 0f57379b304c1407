// The INVITE user agents against SIPp (Debian sip-tester, a SIP stack written by others) over
// UDP and TCP loopback through the real SipTransport and transaction layer: reliable provisionals with
// PRACK (RFC 3262) and UPDATE in the early dialog (RFC 3311), in both roles.
import assert from 'node:assert/strict';
import { SystemClock } from '../../../../../daemon/sip/clock.js';
import { SipEndpoint } from '../../../../../daemon/sip/endpoint.js';
import { parseNameAddr } from '../../../../../daemon/sip/header-values.js';
import type { SipRequest, SipResponse } from '../../../../../daemon/sip/message.js';
import { parseUri } from '../../../../../daemon/sip/uri.js';
import { UserAgentCore, type UserAgentCoreOptions } from '../../../../../daemon/sip/user-agents/core.js';
import { OutgoingCall } from '../../../../../daemon/sip/user-agents/invite-client.js';
import { SubscriptionClient } from '../../../../../daemon/sip/user-agents/subscription-client.js';
import type { Session, TerminationCause } from '../../../../../daemon/sip/user-agents/session.js';
import { SipTransport } from '../../../../../daemon/transport/sip-transport.js';
import { command, requirePrerequisites } from '../../../../helpers/prereq.js';
import { freePort, runSipp, type SippRun } from '../../../../helpers/sipp-runner.js';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// runSipp takes scenario names relative to its own folder
const scenario = (name: string): string => join(dirname(fileURLToPath(import.meta.url)), 'sipp', name);
const ADDR = '127.0.0.1';
const OFFER = `v=0\r\no=imsd 1 1 IN IP4 ${ADDR}\r\ns=-\r\nc=IN IP4 ${ADDR}\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0 8\r\n`;
const OFFER2 = OFFER.replace('1 1 IN', '1 2 IN').replace('0 8', '8');

interface Ours {
  transport: SipTransport;
  endpoint: SipEndpoint;
  core: UserAgentCore;
  clock: SystemClock;
  /** every message our transport received, as "INVITE" / "200 PRACK" */
  received: string[];
}

async function start(options: Partial<UserAgentCoreOptions> = {}): Promise<Ours> {
  const transport = await SipTransport.open({ localAddress: ADDR, portS: 0 });
  const clock = new SystemClock();
  const core = new UserAgentCore({
    clock,
    contact: parseNameAddr(`<sip:imsd@${ADDR}:${transport.portS}>`),
    sessionTimer: false,
    ...options,
  });
  const endpoint = new SipEndpoint({ transport, clock, sentBy: { host: ADDR, port: transport.portS }, tu: core, autoTryingMs: null });
  core.attach(endpoint.layer);
  const received: string[] = [];
  transport.on('message', (m) => received.push(m.message.isRequest() ? m.message.method : `${m.message.status} ${m.message.cseq.method}`));
  return { transport, endpoint, core, clock, received };
}

async function stop(o: Ours | undefined): Promise<void> {
  if (!o) return;
  // the layer first: ending its transactions may start user agent timers that core.close() stops
  o.endpoint.close();
  o.core.close();
  await o.transport.close();
  assert.equal(o.clock.pending, 0, 'timers left running');
}

/** the list without consecutive repeats (retransmissions SIPp sends when we are slow under load) */
function collapse(list: string[]): string[] {
  return list.filter((x, i) => i === 0 || list[i - 1] !== x);
}

function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      if (cond()) resolve();
      else if (Date.now() > deadline) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(tick, 20);
    };
    tick();
  });
}

for (const protocol of ['udp', 'tcp'] as const) {
describe(`INVITE user agents against SIPp over ${protocol} loopback`, function () {
  this.timeout(20000);
  let ours: Ours | undefined;
  let sipp: SippRun | undefined;
  beforeEach(function () {
    requirePrerequisites(this, [command('sipp')]);
  });
  afterEach(async () => {
    sipp?.kill();
    await stop(ours);
    ours = undefined;
    sipp = undefined;
  });

  it('as caller: PRACKs SIPp’s reliable 183, sends UPDATE in the early dialog, ACKs the 200 and hangs up', async () => {
    const port = await freePort(ADDR);
    sipp = await runSipp({ scenario: scenario('uas-100rel-update.xml'), local: ADDR, port, transport: protocol });
    ours = await start();
    const events: string[] = [];
    let accepted: Session | undefined;
    let updateAnswer: SipResponse | undefined;
    const ended: TerminationCause[] = [];
    new OutgoingCall(
      ours.core,
      {
        uri: parseUri(`sip:sipp@${ADDR}:${port};transport=${protocol}`),
        to: parseNameAddr(`<sip:sipp@${ADDR}:${port}>`),
        from: parseNameAddr('<sip:imsd@example.com>'),
        offer: { body: OFFER },
      },
      {
        onProgress: (r) => void events.push(`progress ${r.status} rseq=${r.rseq}`),
        onPrackResponse: (r, s) => {
          events.push(`prack ${r.status}`);
          void s.update({ body: OFFER2 }).then((u) => {
            updateAnswer = u;
            events.push(`update ${u.status}`);
          });
        },
        onAccepted: (s) => {
          accepted = s;
          events.push('accepted');
        },
        onFailed: (r) => void events.push(`failed ${r instanceof Error ? r.message : r.status}`),
        onTerminated: (_s, c) => void ended.push(c),
      },
    ).start();
    await until(() => accepted !== undefined && updateAnswer !== undefined, 8000, 'the 200 to the INVITE and to the UPDATE');
    // update() settles its promise a microtask later: over TCP the UPDATE's 200 and the INVITE's
    // 200 can arrive in one read, so the last two events may swap (SIPp sends them in that order)
    assert.deepEqual(events.slice(0, 3), ['progress 100 rseq=undefined', 'progress 183 rseq=4711', 'prack 200']);
    assert.deepEqual(events.slice(3).sort(), ['accepted', 'update 200']);
    assert.match(updateAnswer!.body.toString(), /RTP\/AVP 8/);
    assert.equal(accepted!.offerAnswer.completedExchanges, 2);
    accepted!.bye();
    const { code, errors } = await sipp.done;
    assert.equal(code, 0, `SIPp failed: ${errors}`);
    assert.deepEqual(ended, [{ by: 'local' }]);
    assert.deepEqual(collapse(ours.received.filter((m) => m !== '183 INVITE' && m !== '200 INVITE')), ['100 INVITE', '200 PRACK', '200 UPDATE', '200 BYE']);
  });

  it('as caller with session timers: retries SIPp’s 422 with its Min-SE, runs the agreed 1200 s timer (RFC 4028 7.4)', async () => {
    const port = await freePort(ADDR);
    sipp = await runSipp({ scenario: scenario('uas-session-timer-422.xml'), local: ADDR, port, transport: protocol });
    ours = await start({ sessionTimer: { interval: 90 } });
    let accepted: Session | undefined;
    const failed: string[] = [];
    const call = new OutgoingCall(
      ours.core,
      {
        uri: parseUri(`sip:sipp@${ADDR}:${port};transport=${protocol}`),
        to: parseNameAddr(`<sip:sipp@${ADDR}:${port}>`),
        from: parseNameAddr('<sip:imsd@example.com>'),
        offer: { body: OFFER },
      },
      { onAccepted: (s) => void (accepted = s), onFailed: (r) => void failed.push(r instanceof Error ? r.message : String(r.status)) },
    ).start();
    await until(() => accepted !== undefined || failed.length > 0, 8000, 'the 200 to the retried INVITE');
    assert.deepEqual(failed, []);
    assert.deepEqual(accepted!.timer.agreement, { interval: 1200, refresher: 'uac' });
    assert.equal(accepted!.timer.weRefresh, true);
    assert.equal(call.invite.headers.get('Session-Expires'), '1200');
    accepted!.bye();
    const { code, errors } = await sipp.done;
    assert.equal(code, 0, `SIPp failed: ${errors}`);
    assert.deepEqual(collapse(ours.received.filter((m) => m.startsWith('4') || m.startsWith('2'))), ['422 INVITE', '200 INVITE', '200 BYE']);
  });

  it('as callee: sends a reliable 183 to SIPp (Supported: 100rel), takes its PRACK and UPDATE, 200, ACK, BYE', async () => {
    const events: string[] = [];
    const offers: string[] = [];
    let ended: TerminationCause | undefined;
    ours = await start({
      onInvite: (call) => {
        events.push(`invite supports100rel=${call.peerSupports100rel}`);
        call.progress(183, { reliable: true, body: { body: OFFER.replace('imsd 1 1', 'imsd 2 1') } });
        const session = call.session!;
        session.handlers.onOffer = (req: SipRequest) => {
          offers.push(req.body.toString());
          // answer the early UPDATE, then accept the call
          setTimeout(() => call.accept(), 50);
          return { body: OFFER2 };
        };
        return {
          onPrack: () => void events.push('prack'),
          onConfirmed: () => void events.push('ack'),
          onTerminated: (c) => {
            ended = c;
            events.push(`ended ${c.by}`);
          },
        };
      },
    });
    const port = await freePort(ADDR);
    sipp = await runSipp({ scenario: scenario('uac-100rel.xml'), local: ADDR, port, transport: protocol, target: `${ADDR}:${ours.transport.portS}` });
    const { code, errors } = await sipp.done;
    assert.equal(code, 0, `SIPp failed: ${errors}`);
    await until(() => ended !== undefined, 3000, 'the BYE');
    assert.deepEqual(events, ['invite supports100rel=true', 'prack', 'ack', 'ended remote']);
    assert.equal(offers.length, 1);
    assert.match(offers[0], /RTP\/AVP 8/);
    assert.equal(ours.core.dialogCount, 0);
  });
});
}

describe('UAS core and SUBSCRIBE/NOTIFY client against SIPp over UDP loopback', function () {
  this.timeout(20000);
  let ours: Ours | undefined;
  let sipp: SippRun | undefined;
  beforeEach(function () {
    requirePrerequisites(this, [command('sipp')]);
  });
  afterEach(async () => {
    sipp?.kill();
    await stop(ours);
    ours = undefined;
    sipp = undefined;
  });

  it('answers SIPp’s OPTIONS (Allow/Accept/Supported), MESSAGE, PUBLISH (405) and Require: unknown (420)', async () => {
    const messages: string[] = [];
    ours = await start({ onMessage: (req) => void messages.push(req.body.toString().trim()) });
    const port = await freePort(ADDR);
    sipp = await runSipp({ scenario: scenario('uac-options-message.xml'), local: ADDR, port, transport: 'udp', target: `${ADDR}:${ours.transport.portS}` });
    const { code, errors } = await sipp.done;
    assert.equal(code, 0, `SIPp failed: ${errors}`);
    assert.deepEqual(messages, ['hello from SIPp']);
    assert.deepEqual(collapse(ours.received), ['OPTIONS', 'MESSAGE', 'PUBLISH', 'OPTIONS']);
  });

  it('subscribes to SIPp as notifier: NOTIFY before the 200, then unsubscribe and the final NOTIFY', async () => {
    const port = await freePort(ADDR);
    sipp = await runSipp({ scenario: scenario('uas-notifier.xml'), local: ADDR, port, transport: 'udp' });
    ours = await start();
    const states: string[] = [];
    const notified: string[] = [];
    let ended: string | undefined;
    const client = new SubscriptionClient(ours.core, {
      uri: parseUri(`sip:alice@${ADDR}:${port}`),
      to: parseNameAddr('<sip:alice@example.com>'),
      from: parseNameAddr('<sip:alice@example.com>'),
      event: 'reg',
      accept: ['application/reginfo+xml'],
      expires: 600,
      onStateChange: (s) => void states.push(s),
      onNotify: (n, st) => void notified.push(`${st.state}:${n.body.length > 0 ? 'body' : 'empty'}`),
      onTerminated: (w) => void (ended = w.reason),
    });
    client.subscribe();
    await until(() => states.includes('active') && ours!.received.includes('200 SUBSCRIBE'), 5000, 'the NOTIFY and the 200');
    assert.deepEqual(collapse(ours.received).slice(0, 2), ['NOTIFY', '200 SUBSCRIBE'], 'SIPp sent the NOTIFY first');
    client.unsubscribe();
    await until(() => ended !== undefined, 5000, 'the final NOTIFY');
    const { code, errors } = await sipp.done;
    assert.equal(code, 0, `SIPp failed: ${errors}`);
    assert.deepEqual(states, ['notify-wait', 'active', 'terminated']);
    assert.deepEqual(notified, ['active:body', 'terminated:empty']);
    assert.equal(ended, 'timeout');
    assert.equal(ours.core.dialogCount, 0);
  });
});
