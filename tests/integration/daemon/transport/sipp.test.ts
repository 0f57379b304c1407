// Interop with SIPp (a SIP stack written by others): it parses what our transport sends, and
// our parser accepts what it sends, over UDP and TCP on IPv4 and IPv6 loopback.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { createResponse } from '../../../../daemon/sip/response.js';
import { SipTransport } from '../../../../daemon/transport/sip-transport.js';
import type { Received } from '../../../../daemon/transport/transport.js';
import { command, requirePrerequisites } from '../../../helpers/prereq.js';
import { hostOf, nextMessage, request } from './helpers.js';
import { freePort, runSipp, type SippRun } from '../../../helpers/sipp-runner.js';

const scenario = (name: string): string => join(dirname(fileURLToPath(import.meta.url)), 'sipp', name);

for (const addr of ['127.0.0.1', '::1']) {
  for (const protocol of ['udp', 'tcp'] as const) {
    describe(`SIPp interop over ${protocol} ${addr}`, function () {
      this.timeout(20000);
      let ours: SipTransport | undefined;
      let sipp: SippRun | undefined;
      beforeEach(function () {
        requirePrerequisites(this, [command('sipp')]);
      });
      afterEach(async () => {
        sipp?.kill();
        await ours?.close();
        ours = undefined;
        sipp = undefined;
      });

      it('SIPp as UAS answers the OPTIONS and REGISTER we send', async () => {
        const port = await freePort(addr);
        sipp = await runSipp({ scenario: scenario('uas-options-register.xml'), local: addr, port, transport: protocol });
        ours = await SipTransport.open({ localAddress: addr, portS: 0, portC: 0 });
        const from = { address: addr, port: ours.portS };
        const t = protocol.toUpperCase();
        const statuses: Array<[string, number]> = [];
        for (const [method, cseq] of [['OPTIONS', 1], ['REGISTER', 2]] as const) {
          const got = nextMessage(ours, 5000);
          await ours.send(request(method, `sipp@${hostOf(addr)}:${port}`, from, cseq, { callId: 'sipp-uas', transport: t }), { address: addr, port, protocol });
          const r: Received = await got;
          assert.ok(r.message.isResponse());
          statuses.push([r.message.cseq.method, r.message.status]);
          if (method === 'REGISTER') assert.equal(r.message.contacts.length, 1);
        }
        assert.deepEqual(statuses, [['OPTIONS', 200], ['REGISTER', 200]]);
        const { code, errors } = await sipp.done;
        assert.equal(code, 0, `SIPp failed: ${errors}`);
      });

      it('SIPp as UAC gets 200s to the OPTIONS and REGISTER it sends us', async () => {
        ours = await SipTransport.open({ localAddress: addr, portS: 0 });
        const t = ours;
        const methods: string[] = [];
        t.on('message', (m) => {
          if (!m.message.isRequest()) return;
          methods.push(m.message.method);
          const res = createResponse(m.message, 200, { toTag: 'imsd1' });
          if (m.message.method === 'REGISTER') res.headers.set('Contact', m.message.headers.get('Contact') ?? '');
          void t.send(res, { address: m.remote.address, port: m.remote.port, protocol: m.protocol }, { connectionId: m.connectionId });
        });
        const invalid: string[] = [];
        t.on('invalid', (e) => invalid.push(e.error.message));
        const port = await freePort(addr);
        sipp = await runSipp({ scenario: scenario('uac-options-register.xml'), local: addr, port, transport: protocol, target: `${hostOf(addr)}:${t.portS}` });
        const { code, errors } = await sipp.done;
        assert.deepEqual(invalid, []);
        assert.equal(code, 0, `SIPp failed: ${errors}`);
        assert.deepEqual(methods.slice(0, 2), ['OPTIONS', 'REGISTER']);
      });
    });
  }
}

describe('SIPp interop: large request', function () {
  this.timeout(20000);
  it('a request over 1300 bytes addressed for UDP reaches a TCP SIPp UAS over TCP', async function () {
    requirePrerequisites(this, [command('sipp')]);
    const addr = '127.0.0.1';
    const port = await freePort(addr);
    const sipp = await runSipp({ scenario: scenario('uas-options-register.xml'), local: addr, port, transport: 'tcp' });
    const ours = await SipTransport.open({ localAddress: addr, portS: 0, portC: 0 });
    try {
      const from = { address: addr, port: ours.portS };
      const pad = [`X-Padding: ${'x'.repeat(1500)}`];
      const got = nextMessage(ours, 5000);
      const sent = await ours.send(request('OPTIONS', `sipp@${addr}:${port}`, from, 1, { callId: 'sipp-big', extra: pad }), { address: addr, port, protocol: 'udp' });
      assert.equal(sent.protocol, 'tcp');
      const r = await got;
      assert.ok(r.message.isResponse() && r.message.status === 200);
      assert.equal(r.message.topVia.transport, 'TCP');
      const got2 = nextMessage(ours, 5000);
      await ours.send(request('REGISTER', `sipp@${addr}:${port}`, from, 2, { callId: 'sipp-big', transport: 'TCP' }), { address: addr, port, protocol: 'tcp' });
      await got2;
      const { code, errors } = await sipp.done;
      assert.equal(code, 0, `SIPp failed: ${errors}`);
    } finally {
      sipp.kill();
      await ours.close();
    }
  });
});
