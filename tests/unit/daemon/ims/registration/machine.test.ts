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

    it('offers one pair unless configured, keeping REGISTER under 1300 bytes (RFC 3261 18.1.1)', () => {
      const d = 'ims.mnc001.mcc001.3gppnetwork.org';
      const h = new Harness(config({ offer: undefined, homeDomain: d, impi: `001010000000001@${d}`, impu: `sip:001010000000001@${d}`, userAgent: 'imsd/0.1' }));
      h.machine.start();
      h.spis();
      assert.deepEqual(hdr(h.sent[0]!, 'Security-Client').map((v) => v.replace(/;spi-c.*/, '')), ['ipsec-3gpp;alg=hmac-sha-1-96;ealg=null']);
      h.challenge([SERVER_MD5, SERVER]);
      h.akaOk();
      assert.equal(h.last('install-sas').spec.integrity, 'hmac-sha-1-96', 'the md5 entry was not offered');
      h.install();
      // + the Via the layer adds, and 10-digit SPIs instead of 4 in Security-Client and Security-Verify
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

    it('re-authentication: new SAs carry the answer; the old set (same ports) is removed before the new one is installed', () => {
      const h = new Harness();
      h.register(3600);
      h.clock.advance(3000_000);
      const spis = h.spis();
      h.challenge([SERVER.replace('spi-c=4001;spi-s=4002', 'spi-c=4011;spi-s=4012')]);
      h.akaOk();
      assert.equal(h.last('install-sas').spec.ue.spiC, spis.spiC);
      const order = h.actions.filter((a) => a.kind === 'remove-sas' || a.kind === 'install-sas').map((a) => (a.kind === 'remove-sas' ? `remove ${a.set.id}` : 'install'));
      assert.deepEqual(order, ['install', 'remove 1', 'install'], 'break before make: the policies use the same ports');
      h.install();
      const a = h.last('send');
      assert.equal(a.flow, 'protected');
      assert.equal(a.dest.port, 5203);
      assert.match(hdr(a.request, 'Security-Verify')[0]!, /spi-c=4011/);
      assert.deepEqual(h.leaked, [2]);
      h.ok(3600);
      assert.deepEqual(h.leaked, [2]);
      assert.equal(h.state, 'registered');
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
