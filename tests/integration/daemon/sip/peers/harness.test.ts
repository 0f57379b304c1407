// Self-test of the peer harness, before any of our stack takes part: Kamailio as registrar and
// record-routing proxy with MD5, SIPp registering a user whose calls reach a SIPp UAS, and a
// SIPp UAC calling that user with 100rel, PRACK and UPDATE through Kamailio, over UDP and TCP;
// baresip registering with MD5 and answering a SIPp call through Kamailio.
import assert from 'node:assert/strict';
import { command, requirePrerequisites } from '../../../../helpers/prereq.js';
import { BaresipPeer } from '../../../../helpers/peers/baresip.js';
import { KamailioPeer } from '../../../../helpers/peers/kamailio.js';
import { describeSipp, SippPeer } from '../../../../helpers/peers/sipp.js';

describe('peer harness: Kamailio registrar/proxy with SIPp', function () {
  this.timeout(15000);
  let kamailio: KamailioPeer | undefined;
  const sipps: SippPeer[] = [];

  before(async function () {
    requirePrerequisites(this, [command('kamailio'), command('kamcmd'), command('sipp'), command('baresip')]);
    kamailio = await KamailioPeer.start({
      addresses: ['127.0.0.1'],
      users: { 'carol-udp': 'carol-pw', 'carol-tcp': 'carol-pw', 'bob-udp': 'bob-pw', 'bob-tcp': 'bob-pw', dave: 'dave-pw' },
    });
  });

  afterEach(async () => {
    for (const s of sipps.splice(0)) await s.stop();
  });

  after(async () => {
    await kamailio?.stop();
  });

  for (const transport of ['udp', 'tcp'] as const) {
    it(`registers carol (MD5) and carries INVITE/183 100rel/PRACK/UPDATE/180/PRACK/200/ACK/BYE over ${transport}`, async () => {
      const k = kamailio as KamailioPeer;
      const carol = `carol-${transport}`;
      const uas = await SippPeer.start({ scenario: 'uas-prack-update.xml', local: '127.0.0.1', transport, service: carol });
      sipps.push(uas);
      const reg = await SippPeer.start({
        scenario: 'register.xml', local: '127.0.0.1', transport, remote: `127.0.0.1:${k.port}`, service: carol, password: 'carol-pw',
        keys: { domain: 'imsd.test', contact_host: '127.0.0.1', contact_port: uas.port, contact_transport: transport },
      });
      sipps.push(reg);
      const regResult = await reg.done();
      assert.equal(regResult.code, 0, describeSipp('REGISTER', regResult));
      const bound = await k.bindings(carol);
      assert.deepEqual(bound.map((b) => b.contact), [`sip:${carol}@127.0.0.1:${uas.port};transport=${transport}`]);

      const uac = await SippPeer.start({
        scenario: 'uac-prack-update.xml', local: '127.0.0.1', transport, remote: `127.0.0.1:${k.port}`, service: 'dave', password: 'dave-pw',
        keys: { domain: 'imsd.test', callee: carol },
      });
      sipps.push(uac);
      const [uacResult, uasResult] = await Promise.all([uac.done(), uas.done()]);
      assert.equal(uacResult.code, 0, describeSipp('UAC', uacResult));
      assert.equal(uasResult.code, 0, describeSipp('UAS', uasResult));
      // every response relayed back to the UAC still names the UAC's own Via (RFC 3261 16.7 step 3)
      const received = receivedResponses(uacResult.messages);
      assert.ok(received.length >= 8, `UAC got ${received.length} responses`);
      for (const r of received) assert.match(r, new RegExp(`^Via: SIP/2\\.0/${transport} 127\\.0\\.0\\.1:${uac.port};`, 'im'), r);
      // Kamailio itself relayed the in-dialog requests along the recorded route
      for (const m of ['PRACK', 'UPDATE', 'ACK', 'BYE']) assert.match(k.log(), new RegExp(`in-dialog ${m} routed to sip:${carol}@127\\.0\\.0\\.1:${uas.port}`, 'i'));
    });
  }

  for (const transport of ['udp', 'tcp'] as const) {
    it(`baresip registers (MD5) over ${transport} and answers a SIPp call through Kamailio`, async () => {
      const k = kamailio as KamailioPeer;
      const bob = `bob-${transport}`;
      const baresip = await BaresipPeer.start({ kamailio: k, user: bob, password: 'bob-pw', transport });
      try {
        const [binding] = await k.bindings(bob);
        assert.equal(binding.socket, `${transport}:127.0.0.1:${k.port}`);
        const uac = await SippPeer.start({
          scenario: 'uac-call.xml', local: '127.0.0.1', transport, remote: `127.0.0.1:${k.port}`, service: 'dave', password: 'dave-pw',
          keys: { domain: 'imsd.test', callee: bob },
        });
        sipps.push(uac);
        const r = await uac.done();
        assert.equal(r.code, 0, describeSipp('UAC', r) + baresip.log().slice(-1500));
        // baresip's own account of the call
        await baresip.ctrl.waitEvent('CALL_CLOSED', (e) => e.type === 'CALL_CLOSED');
        // (answermode=auto reports no CALL_INCOMING in baresip 1.0)
        const calls = baresip.ctrl.events.filter((e) => ['CALL_ESTABLISHED', 'CALL_CLOSED'].includes(e.type));
        assert.deepEqual(calls.map((e) => [e.type, e.direction, e.peeruri]), [
          ['CALL_ESTABLISHED', 'incoming', 'sip:dave@imsd.test'],
          ['CALL_CLOSED', 'incoming', 'sip:dave@imsd.test'],
        ]);
      } finally {
        await baresip.stop();
      }
    });
  }

  it('answers a REGISTER with a wrong password with 403 and binds nothing', async () => {
    const k = kamailio as KamailioPeer;
    await k.addUser('erin', 'erin-pw');
    const reg = await SippPeer.start({
      scenario: 'register.xml', local: '127.0.0.1', transport: 'udp', remote: `127.0.0.1:${k.port}`, service: 'erin', password: 'not-erin-pw',
      keys: { domain: 'imsd.test', contact_host: '127.0.0.1', contact_port: 9, contact_transport: 'udp' }, timeoutS: 3,
    });
    sipps.push(reg);
    const r = await reg.done();
    assert.notEqual(r.code, 0);
    assert.match(r.messages, /SIP\/2\.0 403 Wrong Password/);
    assert.deepEqual(await k.bindings('erin'), []);
  });
});

/** The responses SIPp received, from its -trace_msg log. */
function receivedResponses(messages: string): string[] {
  return messages.split(/^-{10,}.*$/m).filter((m) => /message received/.test(m)).map((m) => m.slice(m.indexOf('SIP/2.0'))).filter((m) => m.startsWith('SIP/2.0 '));
}
