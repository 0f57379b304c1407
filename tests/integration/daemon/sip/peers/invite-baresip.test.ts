// INVITE/180/200/ACK/BYE between our stack (transport + transaction layer + dialogs + MD5
// digest) and baresip, a SIP phone written by others, through Kamailio as registrar and
// record-routing proxy, both directions, over UDP and TCP. baresip's own events (ctrl_tcp) and
// Kamailio's log of in-dialog routing are the evidence, not only our view.
import assert from 'node:assert/strict';
import { Dialog } from '../../../../../daemon/sip/dialogs/dialog.js';
import { createResponse } from '../../../../../daemon/sip/response.js';
import type { InviteServerTransaction } from '../../../../../daemon/sip/transactions/index.js';
import { BaresipPeer } from '../../../../helpers/peers/baresip.js';
import { KamailioPeer } from '../../../../helpers/peers/kamailio.js';
import { command, requirePrerequisites } from '../../../../helpers/prereq.js';
import { OurUa, sdp } from './our-ua.js';

const DOMAIN = 'imsd.test';

describe('INVITE/180/200/ACK/BYE with baresip through Kamailio', function () {
  this.timeout(15000);
  let kamailio: KamailioPeer | undefined;
  let baresip: BaresipPeer | undefined;
  let ua: OurUa | undefined;

  before(async function () {
    requirePrerequisites(this, [command('kamailio'), command('kamcmd'), command('baresip')]);
    kamailio = await KamailioPeer.start({ addresses: ['127.0.0.1'] });
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && baresip) console.log(`baresip log:\n${baresip.log().slice(-2000)}\nKamailio log:\n${kamailio?.log().split('\n').filter((l) => /PEERS|ERROR/.test(l)).slice(-20).join('\n')}`);
    await baresip?.stop();
    await ua?.close();
    baresip = undefined;
    ua = undefined;
  });
  after(async () => {
    await kamailio?.stop();
  });

  for (const protocol of ['udp', 'tcp'] as const) {
    const alice = `alice-${protocol}`;
    const bob = `bob-${protocol}`;

    async function setUp(answer: 'auto' | 'manual' = 'auto'): Promise<{ k: KamailioPeer; b: BaresipPeer; u: OurUa }> {
      const k = kamailio as KamailioPeer;
      await k.addUser(alice, 'alice-pw');
      await k.addUser(bob, 'bob-pw');
      baresip = await BaresipPeer.start({ kamailio: k, user: bob, password: 'bob-pw', transport: protocol, answer });
      ua = await OurUa.open('127.0.0.1', protocol);
      const reg = ua.newRequest('REGISTER', '', { user: alice, domain: DOMAIN }, [['Expires', '600']]);
      await ua.sendOk(reg, { address: '127.0.0.1', port: k.port, protocol }, { username: alice, password: 'alice-pw' });
      return { k, b: baresip, u: ua };
    }

    it(`we call baresip over ${protocol}: 407, INVITE with credentials, 180, 200 (answered over ctrl_tcp), ACK and BYE along the recorded route`, async () => {
      // manual answer: baresip rings (180) and answers when told, so both responses always come
      // (with answermode=auto it sometimes answers with 200 alone)
      const { k, b, u } = await setUp('manual');
      const answered = b.answerNextCall();
      answered.catch(() => undefined); // awaited below; no unhandled rejection if the test fails first
      const proxy = { address: '127.0.0.1', port: k.port, protocol };
      const invite = u.newRequest('INVITE', `sip:${bob}@${DOMAIN}`, { user: alice, domain: DOMAIN }, [], sdp('127.0.0.1', 40000, 1));
      const provisional: number[] = [];
      const out = await u.sendOk(invite, proxy, { username: alice, password: 'alice-pw' }, (r) => provisional.push(r.status));
      assert.deepEqual(out.statuses.filter((s) => s >= 200), [407, 200]);
      assert.ok(provisional.includes(180), `provisional responses: ${provisional.join(', ')}`);
      await answered;
      assert.match(out.final.body.toString(), /m=audio \d+ RTP\/AVP 0/, 'baresip answers the SDP offer');
      // RFC 3261 12.1.2: the dialog's route set is the Record-Route of the 2xx, reversed
      const dialog = Dialog.asUac(out.request, out.final, { localContact: u.contactNameAddr(alice) });
      assert.equal(dialog.routeSet.length, 1);
      await u.ack(dialog, out.request.cseq.seq);
      await b.ctrl.waitEvent('CALL_ESTABLISHED', (e) => e.type === 'CALL_ESTABLISHED');
      const bye = await u.inDialog(dialog, 'BYE');
      assert.equal(bye.final.status, 200);
      // baresip's own account of the call
      const closed = await b.ctrl.waitEvent('CALL_CLOSED', (e) => e.type === 'CALL_CLOSED');
      assert.equal(closed.peeruri, `sip:${alice}@${DOMAIN}`);
      assert.equal(b.ctrl.events.find((e) => e.type === 'CALL_ESTABLISHED')?.direction, 'incoming');
      // Kamailio routed ACK and BYE as in-dialog requests (loose_route) to baresip
      // (baresip's Contact user is its AOR user with a suffix of its own)
      for (const m of ['ACK', 'BYE']) assert.match(k.log(), new RegExp(`in-dialog ${m} routed to sip:${bob}[^@]*@127\\.0\\.0\\.1:${b.sipPort}`, 'i'));
    });

    it(`baresip calls us over ${protocol}: we send 180 and 200 (respond2xx), get the ACK, answer its BYE`, async () => {
      const { k, b, u } = await setUp();
      const dialed = b.ctrl.command('dial', `sip:${alice}@${DOMAIN}`);
      const tx = (await u.nextRequest('INVITE')) as InviteServerTransaction;
      assert.equal((await dialed).ok, true);
      const invite = tx.request;
      // Kamailio challenged baresip's first INVITE (407) and relayed the one with credentials
      // (consume_credentials() removed the Proxy-Authorization on the way)
      assert.match(k.log(), new RegExp(`INVITE from ${bob} not authenticated \\(code -5\\)[\\s\\S]*INVITE for ${alice} relayed`));
      assert.equal(invite.recordRoutes.length, 1, 'Kamailio record-routed the INVITE');
      assert.match(invite.body.toString(), /m=audio \d+ RTP\/AVP/);
      const toTag = u.endpoint.layer.newTag();
      const dialog = Dialog.asUas(invite, toTag, { localContact: u.contactNameAddr(alice) });
      const ringing = createResponse(invite, 180, { toTag });
      ringing.contacts = [u.contactNameAddr(alice)];
      tx.respond(ringing);
      const ok = createResponse(invite, 200, { toTag, body: sdp('127.0.0.1', 40002, 1) });
      ok.contacts = [u.contactNameAddr(alice)];
      ok.headers.set('Content-Type', 'application/sdp');
      let ackTimeout = false;
      u.endpoint.layer.respond2xx(tx, ok, { onAckTimeout: () => (ackTimeout = true) });
      dialog.confirm();
      // the ACK for our 2xx is a new transaction-less request (RFC 3261 17.1.1.3) through Kamailio
      await waitFor(() => u.strayAcks.some((a) => a.message.callId === invite.callId), 'ACK from baresip');
      await b.ctrl.waitEvent('CALL_ESTABLISHED', (e) => e.type === 'CALL_ESTABLISHED');
      assert.equal((await b.ctrl.command('hangup')).ok, true);
      const byeTx = await u.nextRequest('BYE');
      assert.equal(byeTx.request.callId, invite.callId);
      assert.deepEqual(dialog.receiveRequest(byeTx.request), { accept: true });
      byeTx.respond(createResponse(byeTx.request, 200));
      dialog.terminate();
      const closed = await b.ctrl.waitEvent('CALL_CLOSED', (e) => e.type === 'CALL_CLOSED');
      assert.equal(closed.direction, 'outgoing');
      assert.equal(ackTimeout, false);
      assert.match(k.log(), new RegExp(`in-dialog ACK routed to sip:${alice}@127\\.0\\.0\\.1:${u.port}`, 'i'));
      assert.match(k.log(), new RegExp(`in-dialog BYE routed to sip:${alice}@127\\.0\\.0\\.1:${u.port}`, 'i'));
    });
  }
});

async function waitFor(check: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
