// Our stack (SipTransport + transaction layer + MD5 digest from daemon/auth) registers with
// Kamailio, a registrar written by others: 401 -> REGISTER with Authorization -> 200, over UDP
// and TCP, IPv4 and IPv6. Kamailio's own usrloc (kamcmd ul.lookup) shows the binding, and a
// SIPp caller's OPTIONS to the address-of-record reaches us through Kamailio. A wrong password
// ends in 403 and no binding.
import assert from 'node:assert/strict';
import { command, requirePrerequisites } from '../../../../helpers/prereq.js';
import { KamailioPeer } from '../../../../helpers/peers/kamailio.js';
import { describeSipp, SippPeer } from '../../../../helpers/peers/sipp.js';
import { createResponse } from '../../../../../daemon/sip/response.js';
import { formatUri } from '../../../../../daemon/sip/uri.js';
import { OurUa, RequestFailed } from './our-ua.js';

const DOMAIN = 'imsd.test';

describe('REGISTER with MD5 digest to Kamailio (real registrar)', function () {
  this.timeout(15000);
  let kamailio: KamailioPeer | undefined;
  let ua: OurUa | undefined;
  let sipp: SippPeer | undefined;

  before(async function () {
    requirePrerequisites(this, [command('kamailio'), command('kamcmd'), command('sipp')]);
    kamailio = await KamailioPeer.start({ addresses: ['127.0.0.1', '::1'], users: { dave: 'dave-pw' } });
  });
  afterEach(async () => {
    await sipp?.stop();
    await ua?.close();
    sipp = undefined;
    ua = undefined;
  });
  after(async () => {
    await kamailio?.stop();
  });

  const runs = [['127.0.0.1', 'udp'], ['127.0.0.1', 'tcp'], ['::1', 'udp'], ['::1', 'tcp']] as const;
  for (const [address, protocol] of runs) {
    it(`registers over ${protocol} ${address}: 401, 200, binding in usrloc, reachable by a caller`, async () => {
      const k = kamailio as KamailioPeer;
      const user = `alice-${protocol}-${address === '::1' ? 6 : 4}`;
      await k.addUser(user, 'alice-secret');
      ua = await OurUa.open(address, protocol);
      const reg = ua.newRequest('REGISTER', '', { user, domain: DOMAIN }, [['Expires', '600']]);
      const out = await ua.sendOk(reg, { address, port: k.port, protocol }, { username: user, password: 'alice-secret' });
      assert.deepEqual(out.statuses, [401, 200]);
      assert.match(out.request.headers.get('Authorization') ?? '', /^Digest .*qop=auth/);
      // RFC 3261 10.3 step 8: the 200 lists the bindings
      const listed = out.final.contacts.map((c) => (c === '*' ? c : formatUri(c.uri)));
      assert.deepEqual(listed, [ua.contact(user)]);
      assert.match(out.final.headers.get('Contact') ?? '', /;expires=\d+/);

      // the registrar itself: one binding, our Contact, on the socket we used
      const bindings = await k.bindings(user);
      assert.equal(bindings.length, 1, JSON.stringify(bindings));
      assert.equal(bindings[0].contact, ua.contact(user));
      assert.equal(bindings[0].socket, `${protocol}:${address === '::1' ? '[::1]' : address}:${k.port}`);
      assert.ok(bindings[0].expires > 0 && bindings[0].expires <= 600, `expires ${bindings[0].expires}`);

      // a second party reaches us through the binding: SIPp (IPv4, UDP) sends OPTIONS to the AOR
      const answering = (async () => {
        const tx = await (ua as OurUa).nextRequest('OPTIONS');
        tx.respond(createResponse(tx.request, 200, { toTag: 'imsd-opt' }));
        return tx.request;
      })();
      sipp = await SippPeer.start({
        scenario: 'uac-options.xml', local: '127.0.0.1', transport: 'udp', remote: `127.0.0.1:${k.port}`, service: 'dave', password: 'dave-pw',
        keys: { domain: DOMAIN, callee: user },
      });
      const r = await sipp.done();
      assert.equal(r.code, 0, describeSipp('OPTIONS caller', r));
      const options = await answering;
      assert.equal(formatUri(options.uri), ua.contact(user));
      assert.match(options.headers.get('From') ?? '', /sip:dave@imsd\.test/);
    });
  }

  it('a wrong password ends in 403 from Kamailio, surfaced as RequestFailed, and binds nothing', async () => {
    const k = kamailio as KamailioPeer;
    await k.addUser('mallory', 'right-pw');
    ua = await OurUa.open('127.0.0.1', 'udp');
    const reg = ua.newRequest('REGISTER', '', { user: 'mallory', domain: DOMAIN }, [['Expires', '600']]);
    const err = await ua.sendOk(reg, { address: '127.0.0.1', port: k.port, protocol: 'udp' }, { username: 'mallory', password: 'wrong-pw' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof RequestFailed, String(err));
    assert.equal(err.response.status, 403);
    assert.deepEqual(err.statuses, [401, 403]);
    assert.doesNotMatch(err.message, /wrong-pw|right-pw/);
    assert.deepEqual(await k.bindings('mallory'), []);
  });
});
