// PRACK (RFC 3262) and UPDATE (RFC 3311) between our stack (transport + transaction layer +
// dialogs + reliable provisional responses + MD5 digest) and SIPp scenarios, through Kamailio
// as record-routing proxy, over UDP and TCP, IPv4 and IPv6. SIPp's own verdict (exit code 0:
// every message it expected arrived, RAck and SDP checks included) is the evidence.
import assert from 'node:assert/strict';
import { Dialog } from '../../../../../daemon/sip/dialogs/dialog.js';
import type { SipResponse } from '../../../../../daemon/sip/message.js';
import { createPrack, ReliableProvisionalReceiver } from '../../../../../daemon/sip/reliable-provisional/uac.js';
import { ReliableProvisionalSender } from '../../../../../daemon/sip/reliable-provisional/uas.js';
import { createResponse } from '../../../../../daemon/sip/response.js';
import type { InviteServerTransaction, ServerTransaction } from '../../../../../daemon/sip/transactions/index.js';
import { KamailioPeer } from '../../../../helpers/peers/kamailio.js';
import { hostOf } from '../../../../helpers/peers/ports.js';
import { describeSipp, SippPeer } from '../../../../helpers/peers/sipp.js';
import { command, requirePrerequisites } from '../../../../helpers/prereq.js';
import { nextHop, OurUa, sdp } from './our-ua.js';

const DOMAIN = 'imsd.test';

describe('PRACK and UPDATE with SIPp through Kamailio', function () {
  this.timeout(15000);
  let kamailio: KamailioPeer | undefined;
  let ua: OurUa | undefined;
  const sipps: SippPeer[] = [];

  before(async function () {
    requirePrerequisites(this, [command('kamailio'), command('kamcmd'), command('sipp')]);
    kamailio = await KamailioPeer.start({ addresses: ['127.0.0.1', '::1'] });
  });
  afterEach(async () => {
    for (const s of sipps.splice(0)) await s.stop();
    await ua?.close();
    ua = undefined;
  });
  after(async () => {
    await kamailio?.stop();
  });

  const runs = [['127.0.0.1', 'udp'], ['127.0.0.1', 'tcp'], ['::1', 'udp'], ['::1', 'tcp']] as const;
  for (const [addr, protocol] of runs) {
    const v = addr === '::1' ? 6 : 4;
    const alice = `alice-${protocol}-${v}`;
    const carol = `carol-${protocol}-${v}`;
    const dave = `dave-${protocol}-${v}`;
    const host = hostOf(addr);
    const where = `${protocol} ${addr}`;

    it(`we call a SIPp UAS over ${where}: reliable 183 -> PRACK, UPDATE with SDP, reliable 180 -> PRACK, 200, ACK, BYE`, async () => {
      const k = kamailio as KamailioPeer;
      await k.addUser(alice, 'alice-pw');
      await k.addUser(carol, 'carol-pw');
      const uas = await SippPeer.start({ scenario: 'uas-prack-update.xml', local: addr, transport: protocol, service: carol });
      sipps.push(uas);
      const reg = await SippPeer.start({
        scenario: 'register.xml', local: addr, transport: protocol, remote: `${host}:${k.port}`, service: carol, password: 'carol-pw',
        keys: { domain: DOMAIN, contact_host: host, contact_port: uas.port, contact_transport: protocol },
      });
      sipps.push(reg);
      const regResult = await reg.done();
      assert.equal(regResult.code, 0, describeSipp('REGISTER', regResult));

      const u = (ua = await OurUa.open(addr, protocol));
      const creds = { username: alice, password: 'alice-pw' };
      const invite = u.newRequest('INVITE', `sip:${carol}@${DOMAIN}`, { user: alice, domain: DOMAIN }, [['Supported', '100rel'], ['Allow', 'INVITE, ACK, BYE, CANCEL, PRACK, UPDATE']], sdp(addr, 40010, 1));
      const receiver = new ReliableProvisionalReceiver();
      let dialog: Dialog | undefined;
      const arrivals: string[] = [];
      const actions: string[] = [];
      // what we do for each reliable provisional, in arrival order, while the INVITE is pending
      let steps: Promise<void> = Promise.resolve();
      const onProvisional = (res: SipResponse, sent: typeof invite) => {
        if (res.status === 100) return;
        const verdict = receiver.receive(res);
        arrivals.push(`${res.status} ${verdict.kind}`);
        if (verdict.kind !== 'new') return;
        dialog ??= Dialog.asUac(sent, res, { localContact: u.contactNameAddr(alice) });
        const d = dialog;
        steps = steps.then(async () => {
          const prack = createPrack(d, verdict.rack);
          const p = await u.send(prack, nextHop(prack, protocol));
          actions.push(`PRACK ${verdict.rack.rseq} -> ${p.final.status}`);
          if (res.status === 183) {
            // RFC 3311 5.1: a new offer in the early dialog, once the first one was answered
            const up = await u.inDialog(d, 'UPDATE', { body: sdp(addr, 40010, 2), contentType: 'application/sdp' });
            actions.push(`UPDATE -> ${up.final.status}${/m=audio/.test(up.final.body.toString()) ? ' with SDP' : ''}`);
          }
        });
      };
      const out = await u.sendOk(invite, { address: addr, port: k.port, protocol }, creds, onProvisional);
      await steps;
      assert.ok(dialog);
      assert.deepEqual(out.statuses.filter((s) => s >= 200), [407, 200]);
      // the SIPp UAS numbers its reliable provisionals 1 and 2 and checks each RAck itself
      assert.deepEqual(arrivals, ['183 new', '180 new']);
      assert.deepEqual(actions, ['PRACK 1 -> 200', 'UPDATE -> 200 with SDP', 'PRACK 2 -> 200']);
      dialog.confirmWith(out.final);
      await u.ack(dialog, out.request.cseq.seq);
      const bye = await u.inDialog(dialog, 'BYE');
      assert.equal(bye.final.status, 200);
      const r = await uas.done();
      assert.equal(r.code, 0, describeSipp('UAS', r));
      for (const m of ['PRACK', 'UPDATE', 'ACK', 'BYE']) assert.match(k.log(), new RegExp(`in-dialog ${m} routed to sip:${carol}@${escapeRe(host)}:${uas.port}`, 'i'));
    });

    it(`a SIPp UAC calls us over ${where}: we send reliable 183 with SDP, answer PRACK and UPDATE, reliable 180, 200; it ACKs and BYEs`, async () => {
      const k = kamailio as KamailioPeer;
      await k.addUser(alice, 'alice-pw');
      await k.addUser(dave, 'dave-pw');
      const u = (ua = await OurUa.open(addr, protocol));
      const reg = u.newRequest('REGISTER', '', { user: alice, domain: DOMAIN }, [['Expires', '600']]);
      await u.sendOk(reg, { address: addr, port: k.port, protocol }, { username: alice, password: 'alice-pw' });

      const uac = await SippPeer.start({
        scenario: 'uac-prack-update.xml', local: addr, transport: protocol, remote: `${host}:${k.port}`, service: dave, password: 'dave-pw',
        keys: { domain: DOMAIN, callee: alice },
      });
      sipps.push(uac);
      const tx = (await u.nextRequest('INVITE')) as InviteServerTransaction;
      const invite = tx.request;
      assert.ok(invite.optionTags('Supported').includes('100rel'));
      const toTag = u.endpoint.layer.newTag();
      const contact = u.contactNameAddr(alice);
      const dialog = Dialog.asUas(invite, toTag, { localContact: contact });
      const timeouts: number[] = [];
      const sender = new ReliableProvisionalSender(invite, { clock: u.clock, send: (res) => tx.respond(res), onTimeout: (res) => timeouts.push(res.status) });
      const provisional = (status: number, body?: string): SipResponse => {
        const res = createResponse(invite, status, { toTag, ...(body ? { body } : {}) });
        res.contacts = [contact];
        if (body) res.headers.set('Content-Type', 'application/sdp');
        return res;
      };
      const answerPrack = async (): Promise<void> => {
        const ptx = await u.nextRequest('PRACK');
        assert.deepEqual(dialog.receiveRequest(ptx.request), { accept: true });
        const m = sender.receivePrack(ptx.request);
        assert.equal(m.status, 200, m.status === 481 ? m.reason : '');
        ptx.respond(createResponse(ptx.request, m.status));
      };
      // RFC 3262 5: the answer to the INVITE's offer goes in the first reliable provisional
      sender.sendReliable(provisional(183, sdp(addr, 40020, 1)));
      await answerPrack();
      const utx: ServerTransaction = await u.nextRequest('UPDATE');
      assert.deepEqual(dialog.receiveRequest(utx.request), { accept: true });
      assert.match(utx.request.body.toString(), /m=audio/);
      const upOk = createResponse(utx.request, 200, { body: sdp(addr, 40020, 2) });
      upOk.contacts = [contact];
      upOk.headers.set('Content-Type', 'application/sdp');
      utx.respond(upOk);
      sender.sendReliable(provisional(180));
      await answerPrack();
      assert.equal(sender.blocks2xx(), false);
      sender.stop();
      const ok = createResponse(invite, 200, { toTag });
      ok.contacts = [contact];
      u.endpoint.layer.respond2xx(tx, ok);
      dialog.confirm();
      const byeTx = await u.nextRequest('BYE');
      assert.deepEqual(dialog.receiveRequest(byeTx.request), { accept: true });
      byeTx.respond(createResponse(byeTx.request, 200));
      const r = await uac.done();
      assert.equal(r.code, 0, describeSipp('UAC', r));
      assert.ok(u.strayAcks.some((a) => a.message.callId === invite.callId), 'the ACK for our 2xx reached us');
      assert.deepEqual(timeouts, []);
    });
  }
});

const escapeRe = (t: string): string => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
