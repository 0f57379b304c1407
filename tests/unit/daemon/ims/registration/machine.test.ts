import assert from 'node:assert/strict';
import { parseAuthorization } from '../../../../../daemon/auth/digest.js';
import { serializeMessage } from '../../../../../daemon/sip/serializer.js';
import { Writable } from 'node:stream';
import { createLogger } from '../../../../../daemon/log/logger.js';
import { AUTN, CK, config, expectedResponse, Harness, hdr, IK, IMPI, IMPU, RAND, RES, SERVER, SERVER_MD5 } from './harness.js';

const reginfo = (version: number, contactState: string, event: string, extra = ''): string =>
  `<?xml version="1.0"?><reginfo xmlns="urn:ietf:params:xml:ns:reginfo" version="${version}" state="full">` +
  `<registration aor="${IMPU}" id="1" state="${contactState === 'active' ? 'active' : 'terminated'}">` +
  `<contact id="c1" state="${contactState}" event="${event}"${extra}><uri>sip:10.0.0.2:6101</uri></contact></registration>` +
  `<registration aor="tel:+15550001" id="2" state="active"><contact id="c2" state="active" event="registered"><uri>sip:10.0.0.2:6101</uri></contact></registration>` +
  '</reginfo>';

describe('ims/registration RegistrationMachine (TS 24.229 5.1.1, TS 33.203)', () => {
  describe('initial registration with sec-agree', () => {
    it('sends the unprotected REGISTER of 5.1.1.2.1 once it has SPIs', () => {
      const h = new Harness();
      h.machine.start();
      assert.equal(h.sent.length, 0, 'nothing before the SPIs');
      const spis = h.spis();
      const a = h.last('send');
      assert.equal(a.flow, 'unprotected');
      assert.deepEqual(a.dest, { address: '10.0.0.1', port: 5060 });
      const r = a.request;
      assert.equal(r.method, 'REGISTER');
      assert.equal(r.headers.get('Expires'), '600000');
      assert.deepEqual(hdr(r, 'Require'), ['sec-agree']);
      assert.deepEqual(hdr(r, 'Proxy-Require'), ['sec-agree']);
      assert.deepEqual(hdr(r, 'Supported'), ['path', 'sec-agree']);
      const sc = hdr(r, 'Security-Client');
      assert.equal(sc.length, 4);
      assert.ok(sc.every((v) => v.includes(`spi-c=${spis.spiC};spi-s=${spis.spiS};port-c=6100;port-s=6101`)));
      assert.ok(sc.some((v) => v.includes('alg=hmac-md5-96;ealg=null')) && sc.some((v) => v.includes('alg=hmac-sha-1-96;ealg=aes-cbc')));
      const auth = parseAuthorization(r.headers.get('Authorization')!);
      assert.equal(auth.get('username'), IMPI);
      assert.equal(auth.get('response'), '');
      assert.equal(auth.get('nonce'), '');
      const contact = r.headers.get('Contact')!;
      assert.match(contact, /^<sip:10\.0\.0\.2:6101>/, 'Contact carries the protected server port');
      assert.match(contact, /\+sip\.instance="<urn:uuid:00000000-0000-0000-0000-000000000001>"/);
      assert.match(contact, /\+g\.3gpp\.icsi-ref="urn%3Aurn-7%3A3gpp-service\.ims\.icsi\.mmtel"/);
      assert.equal(r.headers.get('P-Access-Network-Info'), '3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=0010100010019B01');
      assert.equal(r.from.uri.scheme, 'sip');
      assert.equal(h.state, 'registering');
    });

    it('401 → AKA → SAs from Security-Server → protected REGISTER with Security-Verify → 200 → SUBSCRIBE reg', () => {
      const h = new Harness();
      h.machine.start();
      const spis = h.spis();
      h.challenge([SERVER]);
      const aka = h.last('authenticate');
      assert.ok(aka.rand.equals(RAND) && aka.autn.equals(AUTN));
      assert.equal(h.state, 'authenticating');
      h.akaOk();
      const spec = h.last('install-sas').spec;
      assert.deepEqual(spec.ue, { address: '10.0.0.2', portC: 6100, portS: 6101, spiC: spis.spiC, spiS: spis.spiS });
      assert.deepEqual(spec.pcscf, { address: '10.0.0.1', portC: 5103, portS: 5203, spiC: 4001, spiS: 4002 });
      assert.equal(spec.integrity, 'hmac-sha-1-96');
      assert.equal(spec.encryption, 'null');
      assert.ok(spec.ik.equals(IK) && spec.ck.equals(CK));
      assert.equal(h.sent.length, 1, 'the protected REGISTER waits for the SAs');
      h.install();
      const a = h.last('send');
      assert.equal(a.flow, 'protected');
      assert.deepEqual(a.dest, { address: '10.0.0.1', port: 5203 });
      assert.deepEqual(hdr(a.request, 'Security-Verify'), [SERVER]);
      assert.deepEqual(hdr(a.request, 'Security-Client'), hdr(h.sent[0]!, 'Security-Client'), 'same Security-Client as the challenged REGISTER');
      const auth = a.request.headers.get('Authorization')!;
      const p = parseAuthorization(auth);
      assert.equal(p.get('algorithm'), 'AKAv1-MD5');
      assert.equal(p.get('qop'), 'auth');
      assert.equal(p.get('response'), expectedResponse(auth));
      assert.equal(a.request.callId, h.sent[0]!.callId, 'same Call-ID');
      assert.equal(a.request.cseq.seq, h.sent[0]!.cseq.seq + 1);
      h.ok(600000);
      assert.equal(h.state, 'registered');
      const snap = h.machine.snapshot;
      assert.deepEqual(snap.impus, [IMPU, 'sip:+15550001@ims.example.org', 'tel:+15550001']);
      assert.equal(snap.defaultImpu, IMPU);
      assert.equal(snap.expires, 600000);
      assert.deepEqual(snap.serviceRoute, ['<sip:orig@scscf.ims.example.org:6060;lr>']);
      assert.deepEqual(snap.secAgree, { alg: 'hmac-sha-1-96', ealg: 'null' });
      const sub = h.last('subscribe');
      assert.equal(sub.flow, 'protected');
      assert.equal(sub.impu, IMPU);
      assert.deepEqual(sub.routes, ['<sip:10.0.0.1:5203;lr>', '<sip:orig@scscf.ims.example.org:6060;lr>']);
      assert.deepEqual(sub.headers.find(([n]) => n === 'Security-Verify'), ['Security-Verify', SERVER]);
      assert.deepEqual(h.leaked, [1], 'the live set stays until de-registration');
    });

    it('offers all four pairs unless configured; REGISTER is then over 1300 bytes (RFC 3261 18.1.1: TCP)', () => {
      const d = 'ims.mnc001.mcc001.3gppnetwork.org';
      const h = new Harness(config({ offer: undefined, homeDomain: d, impi: `001010000000001@${d}`, impu: `sip:001010000000001@${d}`, userAgent: 'imsd/0.1' }));
      h.machine.start();
      h.spis();
      assert.deepEqual(hdr(h.sent[0]!, 'Security-Client').map((v) => v.replace(/;spi-c.*/, '')), [
        'ipsec-3gpp;alg=hmac-sha-1-96;ealg=null',
        'ipsec-3gpp;alg=hmac-sha-1-96;ealg=aes-cbc',
        'ipsec-3gpp;alg=hmac-md5-96;ealg=null',
        'ipsec-3gpp;alg=hmac-md5-96;ealg=aes-cbc',
      ]);
      h.challenge([SERVER_MD5, SERVER]);
      h.akaOk();
      assert.equal(h.last('install-sas').spec.integrity, 'hmac-md5-96', 'the higher q among offered pairs');
      h.install();
      // + the Via the layer adds, and 10-digit SPIs instead of 4 in Security-Client and Security-Verify
      const size = serializeMessage(h.last('send').request).length + 80 + 4 * 6;
      assert.ok(size > 1300, `protected REGISTER is ${size} bytes`);
    });

    it('a one-pair offer keeps REGISTER under 1300 bytes (UDP)', () => {
      const d = 'ims.mnc001.mcc001.3gppnetwork.org';
      const h = new Harness(config({ offer: [{ alg: 'hmac-sha-1-96', ealg: 'null' }], homeDomain: d, impi: `001010000000001@${d}`, impu: `sip:001010000000001@${d}`, userAgent: 'imsd/0.1' }));
      h.machine.start();
      h.spis();
      h.challenge([SERVER_MD5, SERVER]);
      h.akaOk();
      assert.equal(h.last('install-sas').spec.integrity, 'hmac-sha-1-96', 'the md5 entry was not offered');
      h.install();
      const size = serializeMessage(h.last('send').request).length + 80 + 4 * 6;
      assert.ok(size < 1300, `protected REGISTER is ${size} bytes`);
    });

    it('picks the Security-Server entry with the highest q', () => {
      const h = new Harness();
      h.machine.start();
      h.spis();
      h.challenge([SERVER, SERVER_MD5]);
      h.akaOk();
      assert.equal(h.last('install-sas').spec.integrity, 'hmac-md5-96');
      assert.equal(h.last('install-sas').spec.pcscf.portS, 5205);
    });

    it('takes the expiry from Expires when the Contact has none', () => {
      const h = new Harness();
      h.machine.start();
      h.spis();
      h.challenge();
      h.akaOk();
      h.install();
      h.respond(200, [['Expires', '3600']]);
      assert.equal(h.machine.snapshot.expires, 3600);
    });
  });

  describe('without sec-agree (SecAgree=none)', () => {
    it('registers with AKA but no Security-Client, Require or SAs', () => {
      const h = new Harness(config({ secAgree: 'none', protectedPorts: undefined }));
      h.machine.start();
      assert.equal(h.of('allocate-spis').length, 0);
      const r = h.sent[0]!;
      assert.equal(r.headers.has('Security-Client'), false);
      assert.equal(r.headers.has('Require'), false);
      assert.deepEqual(hdr(r, 'Supported'), ['path']);
      assert.match(r.headers.get('Contact')!, /^<sip:10\.0\.0\.2:5060>/);
      h.challenge([]);
      h.akaOk();
      assert.equal(h.of('install-sas').length, 0);
      const a = h.last('send');
      assert.equal(a.flow, 'unprotected');
      assert.equal(parseAuthorization(a.request.headers.get('Authorization')!).get('response'), expectedResponse(a.request.headers.get('Authorization')!));
      h.ok(600000);
      assert.equal(h.state, 'registered');
      assert.equal(h.last('subscribe').flow, 'unprotected');
      assert.deepEqual(h.last('subscribe').routes[0], '<sip:10.0.0.1:5060;lr>');
    });
  });

  describe('re-registration (5.1.1.4)', () => {
    it('refreshes 600 s before a long expiry, over the SAs, with the credentials and fresh SPIs', () => {
      const h = new Harness();
      h.register(600000);
      const before = h.sent.length;
      h.clock.advance(599399_000);
      assert.equal(h.sent.length, before);
      h.clock.advance(1000);
      assert.equal(h.state, 'reregistering');
      const spis = h.spis();
      const a = h.last('send');
      assert.equal(a.flow, 'protected');
      assert.ok(hdr(a.request, 'Security-Client')[0]!.includes(`spi-c=${spis.spiC}`));
      assert.deepEqual(hdr(a.request, 'Security-Verify'), [SERVER]);
      const auth = a.request.headers.get('Authorization')!;
      assert.equal(parseAuthorization(auth).get('nc'), '00000002');
      assert.equal(parseAuthorization(auth).get('response'), expectedResponse(auth));
      h.ok(600000);
      assert.equal(h.state, 'registered');
      assert.equal(h.of('subscribe').length, 1, 'the subscription carries on');
    });

    it('refreshes at half of a short expiry', () => {
      const h = new Harness();
      h.register(1000);
      h.clock.advance(499_000);
      assert.equal(h.state, 'registered');
      h.clock.advance(1000);
      assert.equal(h.state, 'reregistering');
    });

    const NEW_SERVER = SERVER.replace('spi-c=4001;spi-s=4002;port-c=5103;port-s=5203', 'spi-c=4011;spi-s=4012;port-c=5113;port-s=5213');

    /** registered for 3600 s over set 1 (port_uc 6100), then the refresh challenged and the new set installed */
    function reauthenticate(h: Harness): void {
      h.register(3600);
      h.clock.advance(3000_000);
      h.spis();
      h.challenge([NEW_SERVER]);
      h.akaOk();
      h.install();
    }

    it('re-authentication, make before break (TS 33.203 7.4): a new port_uc and SPIs, both sets during the exchange, the old one goes after the 200', () => {
      const h = new Harness(config({ oldSaSetGraceMs: 5000 }));
      h.register(3600);
      h.clock.advance(3000_000);
      assert.equal(h.last('allocate-spis').clientPort, true, 'port_uc 6100 carried set 1: a new one is needed');
      const spis = h.spis();
      assert.equal(spis.portC, 6200);
      const re = h.last('send');
      // the refresh goes over the current set (from its port_uc) and offers the next set's values
      assert.equal(re.flow, 'protected');
      assert.equal(re.portC, 6100);
      assert.deepEqual(re.dest, { address: '10.0.0.1', port: 5203 });
      assert.ok(hdr(re.request, 'Security-Client').every((v) => v.includes(`spi-c=${spis.spiC};spi-s=${spis.spiS};port-c=6200;port-s=6101`)), hdr(re.request, 'Security-Client').join());
      assert.match(re.request.headers.get('Contact')!, /10\.0\.0\.2:6101/, 'Contact keeps port_us');
      h.challenge([NEW_SERVER]);
      h.akaOk();
      const spec = h.last('install-sas').spec;
      assert.deepEqual(spec.ue, { address: '10.0.0.2', portC: 6200, portS: 6101, spiC: spis.spiC, spiS: spis.spiS });
      assert.equal(spec.pcscf.portS, 5213);
      assert.equal(h.of('remove-sas').length, 0, 'the old set stays while the new one is set up');
      h.install();
      const a = h.last('send');
      assert.equal(a.flow, 'protected');
      assert.equal(a.portC, 6200, 'the protected REGISTER leaves from the new port_uc');
      assert.deepEqual(a.dest, { address: '10.0.0.1', port: 5213 });
      assert.deepEqual(hdr(a.request, 'Security-Verify'), [NEW_SERVER]);
      assert.deepEqual(h.leaked, [1, 2], 'both sets exist during the exchange');
      assert.deepEqual(h.machine.destination('protected'), { address: '10.0.0.1', port: 5203 }, 'other requests keep the old set until the 200');
      h.ok(3600);
      assert.equal(h.state, 'registered');
      assert.equal(h.last('sa-set-in-use').set.id, 2);
      assert.deepEqual(h.machine.destination('protected'), { address: '10.0.0.1', port: 5213 });
      assert.deepEqual(h.machine.snapshot.secAgree, { alg: 'hmac-sha-1-96', ealg: 'null' });
      // the old set stays for the transactions that began on it, then goes with its client port
      h.clock.advance(4999);
      assert.deepEqual(h.leaked, [1, 2]);
      assert.deepEqual(h.releasedPorts, []);
      h.clock.advance(1);
      assert.deepEqual(h.leaked, [2]);
      assert.deepEqual(h.releasedPorts, [6100]);
      assert.equal(h.of('subscribe').length, 1, 'the subscription carries on');
      // the next re-authentication moves on to yet another port_uc
      h.clock.advance(3000_000 - 5000);
      assert.equal(h.last('allocate-spis').clientPort, true);
      assert.equal(h.spis().portC, 6201);
      assert.equal(h.last('send').portC, 6200);
    });

    it('a refresh that is not challenged keeps its set; the unused port_uc is offered again next time', () => {
      const h = new Harness();
      h.register(3600);
      h.clock.advance(3000_000);
      h.spis();
      h.ok(3600);
      assert.deepEqual(h.leaked, [1]);
      assert.equal(h.of('sa-set-in-use').length, 1, 'only the initial set was taken into use');
      h.clock.advance(3000_000);
      assert.equal(h.of('allocate-spis').length, 3);
      assert.equal(h.last('allocate-spis').clientPort, false, 'port_uc 6200 never carried a set');
      h.spis();
      assert.ok(hdr(h.last('send').request, 'Security-Client')[0]!.includes('port-c=6200'));
      assert.deepEqual(h.releasedPorts, []);
    });

    it('the default grace for the old set is 64*T1 = 32 s', () => {
      const h = new Harness();
      reauthenticate(h);
      h.ok(3600);
      h.clock.advance(31_999);
      assert.deepEqual(h.leaked, [1, 2]);
      h.clock.advance(1);
      assert.deepEqual(h.leaked, [2]);
    });

    it('a failed answer to the re-authentication keeps the old set: the new one and its port go, still registered', () => {
      const h = new Harness();
      reauthenticate(h);
      h.respond(503);
      assert.equal(h.state, 'registered');
      assert.deepEqual(h.leaked, [1], 'the old set stays, the new one is removed');
      assert.equal(h.of('sa-set-in-use').length, 1);
      h.clock.advance(30_000);
      assert.equal(h.state, 'reregistering');
      assert.equal(h.last('allocate-spis').clientPort, true, 'port_uc 6200 carried the dropped set');
      h.spis();
      assert.deepEqual(h.releasedPorts, [6200]);
      const a = h.last('send');
      assert.equal(a.portC, 6100, 'over the old set');
      assert.deepEqual(a.dest, { address: '10.0.0.1', port: 5203 });
      assert.deepEqual(hdr(a.request, 'Security-Verify'), [SERVER]);
    });

    it('a transport error on the answer to the re-authentication: the same', () => {
      const h = new Harness();
      reauthenticate(h);
      h.machine.requestFailed(h.last('send').token, 'transport', 'ECONNRESET');
      assert.equal(h.state, 'registered');
      assert.deepEqual(h.leaked, [1]);
    });

    it('stop during the exchange, or with a set still retiring, removes every set and client port it made', () => {
      const h = new Harness();
      reauthenticate(h);
      h.machine.networkLost('PDN down');
      assert.deepEqual(h.leaked, []);
      const g = new Harness();
      reauthenticate(g);
      g.ok(3600);
      assert.deepEqual(g.leaked, [1, 2]);
      g.machine.deregister();
      g.spis();
      g.ok(0);
      assert.equal(g.state, 'deregistered');
      assert.deepEqual(g.leaked, [], 'the retiring set goes with the current one');
      assert.ok(g.releasedPorts.includes(6100));
      assert.equal(g.clock.pending, 0, 'no grace timer left');
    });

    it('registering again after "deactivated" offers a new port_uc (the P-CSCF keys the new set by it)', () => {
      const h = new Harness();
      h.register();
      h.machine.reginfo(reginfo(1, 'terminated', 'deactivated'));
      assert.equal(h.last('allocate-spis').clientPort, true);
      h.spis();
      assert.ok(hdr(h.last('send').request, 'Security-Client')[0]!.includes('port-c=6200;port-s=6101'));
      assert.deepEqual(h.releasedPorts, [6100]);
      h.challenge();
      h.akaOk();
      assert.equal(h.last('install-sas').spec.ue.portC, 6200);
      h.install();
      assert.equal(h.last('send').portC, 6200);
      h.ok();
      assert.equal(h.last('sa-set-in-use').set.ue.portC, 6200);
    });
  });

  describe('failed re-registration (TS 24.229 5.1.1.4.1)', () => {
    for (const status of [408, 500, 504]) {
      it(`${status}: an initial registration at once, at the same P-CSCF; SAs gone, the subscription dropped without an un-SUBSCRIBE`, () => {
        const h = new Harness();
        h.register(3600);
        const first = h.sent[0]!;
        h.clock.advance(3000_000);
        h.spis();
        h.respond(status);
        assert.equal(h.state, 'registering');
        assert.equal(h.machine.snapshot.lastFailure?.status, status);
        assert.deepEqual(h.leaked, []);
        assert.deepEqual(h.of('unsubscribe').map((a) => a.silently), [true], 'no SA could carry an un-SUBSCRIBE');
        h.spis();
        const a = h.last('send');
        assert.equal(a.flow, 'unprotected');
        assert.deepEqual(a.dest, { address: '10.0.0.1', port: 5060 });
        assert.notEqual(a.request.callId, first.callId, 'a new registration');
        assert.equal(parseAuthorization(a.request.headers.get('Authorization')!).get('response'), '');
        h.challenge();
        h.akaOk();
        h.install();
        h.ok(3600);
        assert.equal(h.state, 'registered');
        assert.equal(h.of('subscribe').length, 2);
      });
    }

    it('Timer F: an initial registration at once at the next P-CSCF of the list', () => {
      const h = new Harness();
      h.register(3600);
      h.clock.advance(3000_000);
      h.spis();
      h.machine.requestFailed(h.last('send').token, 'timeout', 'Timer F');
      assert.equal(h.state, 'registering');
      assert.equal(h.machine.snapshot.lastFailure?.kind, 'timeout');
      assert.deepEqual(h.leaked, []);
      h.spis();
      assert.deepEqual(h.last('send').dest, { address: '10.0.0.9', port: 5060 });
      assert.equal(h.last('send').flow, 'unprotected');
    });

    it('Timer F or a 500 on the answer to a re-authentication: both SA sets go, an initial registration', () => {
      for (const fail of ['timeout', '500'] as const) {
        const h = new Harness();
        h.register(3600);
        h.clock.advance(3000_000);
        h.spis();
        h.challenge([SERVER.replace('spi-c=4001;spi-s=4002;port-c=5103;port-s=5203', 'spi-c=4011;spi-s=4012;port-c=5113;port-s=5213')]);
        h.akaOk();
        h.install();
        assert.deepEqual(h.leaked, [1, 2]);
        if (fail === 'timeout') h.machine.requestFailed(h.last('send').token, 'timeout', 'Timer F');
        else h.respond(500);
        assert.equal(h.state, 'registering', fail);
        assert.deepEqual(h.leaked, [], fail);
      }
    });

    it('503 (and other failures the clause does not name): stays registered over the same SAs and subscription, retries after the back-off, then 200', () => {
      const h = new Harness();
      h.register(3600);
      h.clock.advance(3000_000);
      h.spis();
      h.respond(503);
      assert.equal(h.state, 'registered');
      assert.deepEqual(h.machine.snapshot.lastFailure, { kind: 'server-error', reason: 'REGISTER failed', status: 503, statusText: 'Service Unavailable', retryInMs: 30000 });
      assert.deepEqual(h.leaked, [1], 'the SA set stays');
      assert.equal(h.of('unsubscribe').length, 0);
      assert.deepEqual(h.machine.snapshot.impus.length > 0, true);
      const sent = h.sent.length;
      h.clock.advance(29_999);
      assert.equal(h.sent.length, sent);
      h.clock.advance(1);
      assert.equal(h.state, 'reregistering');
      h.spis();
      const a = h.last('send');
      assert.equal(a.flow, 'protected');
      assert.deepEqual(a.dest, { address: '10.0.0.1', port: 5203 }, 'the same P-CSCF');
      assert.equal(a.request.callId, h.sent[0]!.callId, 'a re-registration, not an initial one');
      h.ok(3600);
      assert.equal(h.state, 'registered');
      assert.equal(h.machine.snapshot.lastFailure, undefined);
      assert.equal(h.of('subscribe').length, 1);
    });

    it('transport errors and a 4xx: the same; Retry-After of a 503 wins', () => {
      const h = new Harness();
      h.register(3600);
      h.clock.advance(3000_000);
      h.spis();
      h.respond(480);
      assert.equal(h.state, 'registered');
      assert.equal(h.machine.snapshot.lastFailure?.kind, 'unexpected-response');
      h.clock.advance(30_000);
      h.spis();
      h.machine.requestFailed(h.last('send').token, 'transport', 'ECONNREFUSED');
      assert.equal(h.state, 'registered');
      assert.equal(h.machine.snapshot.lastFailure?.retryInMs, 60_000, 'the back-off grows');
      h.clock.advance(60_000);
      h.spis();
      h.respond(503, [['Retry-After', '12']]);
      assert.equal(h.machine.snapshot.lastFailure?.retryInMs, 12_000);
      h.clock.advance(12_000);
      assert.equal(h.state, 'reregistering');
      assert.deepEqual(h.leaked, [1]);
    });

    it('when no retry succeeds before the expiry: initial registration once the registration has run out', () => {
      const h = new Harness();
      h.register(1000);
      h.clock.advance(500_000);
      const waits: number[] = [];
      for (;;) {
        assert.equal(h.state, 'reregistering');
        h.spis();
        h.machine.requestFailed(h.last('send').token, 'transport', 'ENETUNREACH');
        assert.equal(h.state, 'registered');
        const ms = h.machine.snapshot.lastFailure!.retryInMs!;
        waits.push(ms);
        const t = h.clock.now();
        h.clock.advance(ms);
        if (h.state !== 'reregistering') {
          assert.equal(t + ms, 1000_000, 'at the expiry');
          break;
        }
      }
      // retries at 530 s, 590 s, 710 s, 950 s; the next (480 s) would be after the expiry
      assert.deepEqual(waits, [30_000, 60_000, 120_000, 240_000, 50_000]);
      assert.equal(h.state, 'registering');
      assert.deepEqual(h.leaked, [], 'the expired registration\'s SAs are gone');
      assert.equal(h.of('unsubscribe').length, 1);
      h.spis();
      assert.equal(h.last('send').flow, 'unprotected');
      assert.notEqual(h.last('send').request.callId, h.sent[0]!.callId);
    });

    it('403 on a re-registration still ends it (5.1.1.5.1), and an initial registration\'s 5xx still backs off', () => {
      const h = new Harness();
      h.register(3600);
      h.clock.advance(3000_000);
      h.spis();
      h.respond(403);
      assert.equal(h.state, 'failed');
      assert.deepEqual(h.leaked, []);
      const g = new Harness();
      g.machine.start();
      g.spis();
      g.respond(500);
      assert.equal(g.state, 'backoff');
    });
  });

  describe('failures', () => {
    it('423 → the same REGISTER again with Min-Expires', () => {
      const h = new Harness();
      h.machine.start();
      h.spis();
      h.respond(423, [['Min-Expires', '700000']]);
      assert.equal(h.last('send').request.headers.get('Expires'), '700000');
      assert.equal(h.state, 'registering');
    });

    it('403 → failed with the status, SAs removed, no timer left', () => {
      const h = new Harness();
      h.machine.start();
      h.spis();
      h.challenge();
      h.akaOk();
      h.install();
      h.respond(403, [], h.last('send'));
      assert.equal(h.state, 'failed');
      assert.deepEqual(h.machine.snapshot.lastFailure, { kind: 'forbidden', reason: 'REGISTER refused', status: 403, statusText: 'Forbidden' });
      assert.deepEqual(h.leaked, []);
      assert.equal(h.clock.pending, 0);
    });

    it('5xx → back-off (RFC 5626 4.5) then the next P-CSCF; Retry-After wins', () => {
      const h = new Harness();
      h.machine.start();
      h.spis();
      h.respond(500);
      assert.equal(h.state, 'backoff');
      assert.equal(h.machine.snapshot.lastFailure?.retryInMs, 30000);
      h.clock.advance(29_999);
      assert.equal(h.of('allocate-spis').length, 1);
      h.clock.advance(1);
      h.spis();
      assert.equal(h.last('send').dest.address, '10.0.0.9');
      assert.notEqual(h.last('send').request.callId, h.sent[0]!.callId, 'a new initial registration');
      h.respond(503, [['Retry-After', '7']]);
      assert.equal(h.machine.snapshot.lastFailure?.retryInMs, 7000);
      h.clock.advance(7000);
      h.spis();
      assert.equal(h.last('send').dest.address, '10.0.0.1');
    });

    it('a P-CSCF that never answers: each timeout backs off longer, up to the cap, and leaks nothing', () => {
      const h = new Harness(config({ backoff: { maxSeconds: 120 } }));
      h.machine.start();
      const waits: number[] = [];
      for (let i = 0; i < 5; i++) {
        h.spis();
        h.machine.requestFailed(h.last('send').token, 'timeout', 'Timer F');
        assert.equal(h.state, 'backoff');
        const f = h.machine.snapshot.lastFailure!;
        assert.equal(f.kind, 'timeout');
        assert.equal(f.status, 408);
        waits.push(f.retryInMs!);
        h.clock.advance(f.retryInMs!);
      }
      assert.deepEqual(waits, [30000, 60000, 60000, 60000, 60000]);
      assert.equal(h.clock.pending, 0, 'only the pending attempt, no timer');
    });

    it('a 401 without Security-Server: typed sec-agree failure and a retry, no AKA, no SAs', () => {
      const h = new Harness();
      h.machine.start();
      h.spis();
      h.challenge([]);
      assert.equal(h.of('authenticate').length, 0);
      assert.equal(h.state, 'backoff');
      assert.equal(h.machine.snapshot.lastFailure?.kind, 'sec-agree');
      assert.match(h.machine.snapshot.lastFailure!.reason, /^missing/);
    });

    it('an unsupported algorithm set: typed sec-agree failure', () => {
      const h = new Harness();
      h.machine.start();
      h.spis();
      h.challenge(['ipsec-3gpp;alg=hmac-sha-256-128;ealg=null;spi-c=1;spi-s=2;port-c=3;port-s=4']);
      assert.equal(h.machine.snapshot.lastFailure?.kind, 'sec-agree');
      assert.match(h.machine.snapshot.lastFailure!.reason, /^unsupported/);
      assert.equal(h.of('install-sas').length, 0);
    });

    it('a challenge that is not AKA, or has a broken nonce: bad-challenge', () => {
      for (const www of ['Digest realm="x", nonce="abc", algorithm=MD5', 'Digest realm="x", nonce="!!", algorithm=AKAv1-MD5', 'Basic realm="x"']) {
        const h = new Harness();
        h.machine.start();
        h.spis();
        h.respond(401, [['WWW-Authenticate', www], ['Security-Server', SERVER]]);
        assert.equal(h.machine.snapshot.lastFailure?.kind, 'bad-challenge', www);
      }
    });

    it('a challenge for every answer: gives up after two and backs off', () => {
      const h = new Harness();
      h.machine.start();
      h.spis();
      h.challenge();
      h.akaOk();
      h.install();
      h.challenge();
      h.akaOk();
      h.install();
      h.challenge();
      assert.equal(h.machine.snapshot.lastFailure?.kind, 'too-many-challenges');
      assert.deepEqual(h.leaked, []);
    });

    it('SIM and IPsec errors end the attempt with their kind', () => {
      const h = new Harness();
      h.machine.start();
      h.spis();
      h.challenge();
      h.machine.actionFailed(h.last('authenticate').token, 'sim', new Error('card removed'));
      assert.equal(h.machine.snapshot.lastFailure?.kind, 'sim');
      h.clock.advance(30000);
      h.spis();
      h.challenge();
      h.akaOk();
      h.machine.actionFailed(h.last('install-sas').token, 'ipsec', new Error('install: EEXIST'));
      assert.equal(h.machine.snapshot.lastFailure?.kind, 'ipsec');
      assert.equal(h.state, 'backoff');
    });

    it('SAs that arrive after the attempt ended are removed at once', () => {
      const h = new Harness();
      h.machine.start();
      h.spis();
      h.challenge();
      h.akaOk();
      h.machine.deregister();
      const set = h.install();
      assert.ok(h.removed.has(set.id));
      assert.equal(h.state, 'deregistered');
      assert.equal(h.sent.length, 1);
    });
  });

  describe('AKA failures (5.1.1.5.2, 5.1.1.5.3)', () => {
    it('sync failure: fresh SPIs, then a REGISTER with auts and an empty-password response, unprotected', () => {
      const h = new Harness();
      h.machine.start();
      h.spis();
      h.challenge();
      const auts = Buffer.from('0102030405060708090a0b0c0d0e', 'hex');
      h.machine.authenticated(h.last('authenticate').token, { kind: 'sync-failure', auts });
      assert.equal(h.of('install-sas').length, 0);
      const spis = h.spis();
      const a = h.last('send');
      assert.equal(a.flow, 'unprotected');
      const auth = a.request.headers.get('Authorization')!;
      const p = parseAuthorization(auth);
      assert.equal(p.get('auts'), auts.toString('base64'));
      assert.equal(p.get('response'), expectedResponse(auth, Buffer.alloc(0)));
      assert.ok(hdr(a.request, 'Security-Client')[0]!.includes(`spi-c=${spis.spiC}`));
      h.challenge();
      h.akaOk();
      h.install();
      h.ok();
      assert.equal(h.state, 'registered');
    });

    it('sync failure while registered goes over the existing SAs', () => {
      const h = new Harness();
      h.register(3600);
      h.clock.advance(3000_000);
      h.spis();
      h.challenge();
      h.machine.authenticated(h.last('authenticate').token, { kind: 'sync-failure', auts: Buffer.alloc(14, 1) });
      const a = h.last('send');
      assert.equal(a.flow, 'protected');
      assert.deepEqual(hdr(a.request, 'Security-Verify'), [SERVER]);
    });

    it('MAC failure: a REGISTER with an empty response and no auts; a 403 then stops', () => {
      const h = new Harness();
      h.machine.start();
      h.spis();
      h.challenge();
      h.machine.authenticated(h.last('authenticate').token, { kind: 'mac-failure' });
      h.spis();
      const p = parseAuthorization(h.last('send').request.headers.get('Authorization')!);
      assert.equal(p.get('response'), '');
      assert.equal(p.has('auts'), false);
      h.respond(403);
      assert.equal(h.state, 'failed');
      assert.deepEqual(h.leaked, []);
    });
  });

  describe('reg event (5.1.1.7)', () => {
    it('keeps the IMPUs of active registrations with our contact, default first', () => {
      const h = new Harness();
      h.register();
      h.machine.reginfo(reginfo(0, 'active', 'registered'));
      assert.deepEqual(h.machine.snapshot.impus, [IMPU, 'tel:+15550001']);
      assert.equal(h.state, 'registered');
    });

    it('deactivated → a new initial registration at once, old SAs removed', () => {
      const h = new Harness();
      h.register();
      h.machine.reginfo(reginfo(1, 'terminated', 'deactivated'));
      assert.equal(h.state, 'registering');
      assert.deepEqual(h.leaked, []);
      assert.equal(h.of('unsubscribe').length, 1);
      h.spis();
      assert.equal(h.last('send').flow, 'unprotected');
      assert.equal(parseAuthorization(h.last('send').request.headers.get('Authorization')!).get('response'), '');
    });

    it('rejected → stop without registering again', () => {
      const h = new Harness();
      h.register();
      h.machine.reginfo(reginfo(1, 'terminated', 'rejected'));
      assert.equal(h.state, 'failed');
      assert.equal(h.machine.snapshot.lastFailure?.kind, 'rejected');
      assert.deepEqual(h.leaked, []);
      assert.equal(h.clock.pending, 0);
    });

    it('a NOTIFY that terminates the subscription needs no un-SUBSCRIBE (RFC 6665 4.1.3): rejected, deactivated, probation', () => {
      for (const [event, state] of [['rejected', 'failed'], ['deactivated', 'registering'], ['probation', 'backoff']] as const) {
        const h = new Harness();
        h.register();
        h.machine.reginfo(reginfo(1, 'terminated', event), { subscriptionTerminated: true });
        assert.equal(h.state, state, event);
        assert.equal(h.of('unsubscribe').length, 0, `${event}: no un-SUBSCRIBE`);
        assert.deepEqual(h.leaked, [], event);
        // the terminated subscription's own end changes nothing more
        h.machine.subscriptionEnded(event);
        assert.equal(h.state, state, event);
        assert.equal(h.of('subscribe').length, 1, event);
      }
    });

    it('a terminating NOTIFY that leaves us registered: no un-SUBSCRIBE, a new subscription later', () => {
      const h = new Harness();
      h.register();
      h.machine.reginfo(reginfo(1, 'active', 'registered'), { subscriptionTerminated: true });
      h.machine.subscriptionEnded('timeout');
      assert.equal(h.of('unsubscribe').length, 0);
      h.clock.advance(30_000);
      assert.equal(h.of('subscribe').length, 2);
    });

    it('deactivated while the subscription stays active: the subscription is ended with an un-SUBSCRIBE, then made again', () => {
      const h = new Harness();
      h.register();
      h.machine.reginfo(reginfo(1, 'terminated', 'deactivated'), { subscriptionTerminated: false });
      assert.equal(h.of('unsubscribe').length, 1);
      h.spis();
      h.challenge();
      h.akaOk();
      h.install();
      h.ok();
      assert.equal(h.of('subscribe').length, 2);
    });

    it('probation → retry after retry-after', () => {
      const h = new Harness();
      h.register();
      h.machine.reginfo(reginfo(1, 'terminated', 'probation', ' retry-after="45"'));
      assert.equal(h.state, 'backoff');
      assert.equal(h.machine.snapshot.lastFailure?.retryInMs, 45000);
    });

    it('shortened → re-register (and so re-authenticate) before the new expiry', () => {
      const h = new Harness();
      h.register();
      h.machine.reginfo(reginfo(1, 'active', 'shortened', ' expires="200"'));
      assert.equal(h.machine.snapshot.expires, 200);
      h.clock.advance(100_000);
      assert.equal(h.state, 'reregistering');
      h.spis();
      h.challenge();
      assert.equal(h.of('authenticate').length, 2);
    });

    it('a malformed body or an old version changes nothing', () => {
      const h = new Harness();
      h.register();
      h.machine.reginfo(reginfo(5, 'active', 'registered'));
      h.machine.reginfo('<reginfo version="6" state="full"><registration');
      h.machine.reginfo(reginfo(4, 'terminated', 'rejected'));
      assert.equal(h.state, 'registered');
      assert.deepEqual(h.machine.snapshot.impus, [IMPU, 'tel:+15550001']);
    });

    it('a contact that is not ours is not acted on', () => {
      const h = new Harness();
      h.register();
      h.machine.reginfo(reginfo(1, 'terminated', 'rejected').replace(/10\.0\.0\.2:6101/g, '10.0.0.3:6101'));
      assert.equal(h.state, 'registered');
    });

    it('a subscription that ends is made again later, unless rejected', () => {
      const h = new Harness();
      h.register();
      h.machine.subscriptionEnded('timeout');
      h.clock.advance(30_000);
      assert.equal(h.of('subscribe').length, 2);
      h.machine.subscriptionEnded('rejected');
      h.clock.advance(300_000);
      assert.equal(h.of('subscribe').length, 2);
    });
  });

  describe('secrets', () => {
    it('RES, CK and IK never reach the log, through registration, re-authentication and de-registration', () => {
      let text = '';
      const stream = new Writable({
        write(chunk: Buffer, _enc, cb) {
          text += chunk.toString();
          cb();
        },
      });
      const h = new Harness(config(), createLogger({ level: 'debug', stream }));
      h.register(3600);
      h.clock.advance(3000_000);
      h.spis();
      h.challenge();
      h.akaOk();
      h.install();
      h.ok(3600);
      h.machine.deregister();
      h.spis();
      h.respond(200);
      assert.match(text, /sending REGISTER/);
      for (const secret of [RES, CK, IK]) {
        for (const enc of ['hex', 'base64'] as const) assert.ok(!text.includes(secret.toString(enc)), `${enc} secret in the log`);
      }
    });
  });

  describe('de-registration (5.1.1.6) and the network', () => {
    it('REGISTER expires=0 over the SAs, then the SAs go', () => {
      const h = new Harness();
      h.register();
      h.machine.deregister();
      assert.equal(h.state, 'deregistering');
      assert.equal(h.of('unsubscribe').length, 1);
      const spis = h.spis();
      const a = h.last('send');
      assert.ok(hdr(a.request, 'Security-Client')[0]!.includes(`spi-c=${spis.spiC}`), 'fresh SPIs in case of a challenge');
      assert.equal(a.flow, 'protected');
      assert.equal(a.request.headers.get('Expires'), '0');
      assert.match(a.request.headers.get('Contact')!, /;expires=0$/);
      assert.deepEqual(h.leaked, [1]);
      h.respond(200);
      assert.equal(h.state, 'deregistered');
      assert.deepEqual(h.leaked, []);
      assert.equal(h.clock.pending, 0);
    });

    it('a challenged de-registration is authenticated and sent again', () => {
      const h = new Harness();
      h.register();
      h.machine.deregister();
      h.spis();
      h.challenge();
      h.akaOk();
      h.install();
      const a = h.last('send');
      assert.equal(a.request.headers.get('Expires'), '0');
      assert.equal(a.flow, 'protected');
      h.respond(200);
      assert.equal(h.state, 'deregistered');
      assert.deepEqual(h.leaked, []);
    });

    it('a de-registration that times out still removes the SAs', () => {
      const h = new Harness();
      h.register();
      h.machine.deregister();
      h.spis();
      h.machine.requestFailed(h.last('send').token, 'timeout', 'Timer F');
      assert.equal(h.state, 'deregistered');
      assert.deepEqual(h.leaked, []);
    });

    it('an IPsec failure while answering a challenged de-registration ends it without a retry', () => {
      const h = new Harness();
      h.register();
      h.machine.deregister();
      h.spis();
      h.challenge();
      h.akaOk();
      h.machine.actionFailed(h.last('install-sas').token, 'ipsec', new Error('add-sa failed: EEXIST'));
      assert.equal(h.state, 'deregistered');
      assert.deepEqual(h.leaked, []);
      assert.equal(h.clock.pending, 0);
    });

    it('losing the PDN drops everything without sending', () => {
      const h = new Harness();
      h.register();
      const n = h.sent.length;
      h.machine.networkLost('PDN down');
      assert.equal(h.state, 'idle');
      assert.equal(h.sent.length, n);
      assert.deepEqual(h.leaked, []);
      assert.equal(h.clock.pending, 0);
      h.machine.start();
      assert.equal(h.state, 'registering');
    });

    it('responses for requests of an ended attempt are ignored', () => {
      const h = new Harness();
      h.machine.start();
      h.spis();
      const first = h.last('send');
      h.respond(500);
      h.clock.advance(30000);
      h.spis();
      h.respond(200, [], first);
      assert.equal(h.state, 'registering');
    });

    it('start() twice is refused', () => {
      const h = new Harness();
      h.machine.start();
      assert.throws(() => h.machine.start(), /cannot start while registering/);
    });
  });
});
