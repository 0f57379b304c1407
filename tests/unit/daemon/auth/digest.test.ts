import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import {
  akaPassword, chooseQop, computeResponse, decodeAkaNonce, DigestError, formatAuthorization,
  parseAuthorization, parseChallenge,
} from '../../../../daemon/auth/digest.js';

// An independent computation in another language (Python's hashlib/hmac) for the AKA variants.
function pythonDigest(algorithm: string, resHex: string, ikHex: string, ckHex: string, qop: string): string {
  const script = `
import hashlib, hmac, base64, sys
alg, res, ik, ck, qop = sys.argv[1], bytes.fromhex(sys.argv[2]), bytes.fromhex(sys.argv[3]), bytes.fromhex(sys.argv[4]), sys.argv[5]
pw = res if alg == 'AKAv1-MD5' else base64.b64encode(hmac.new(res + ik + ck, b'http-digest-akav2-password', hashlib.md5).digest())
h = lambda b: hashlib.md5(b).hexdigest().encode()
ha1 = h(b'001010000000001@ims.example:ims.example:' + pw)
ha2 = h(b'REGISTER:sip:ims.example')
print(h(ha1 + b':bm9uY2U=:00000001:0a4f113b:' + qop.encode() + b':' + ha2).decode() if qop else h(ha1 + b':bm9uY2U=:' + ha2).decode())
`;
  return execFileSync('python3', ['-c', script, algorithm, resHex, ikHex, ckHex, qop], { encoding: 'utf8' }).trim();
}

describe('auth/digest (RFC 2617, RFC 3310, RFC 4169)', () => {
  it('reproduces the RFC 2617 3.5 worked example', () => {
    const response = computeResponse({
      username: 'Mufasa', realm: 'testrealm@host.com', password: Buffer.from('Circle Of Life'),
      method: 'GET', uri: '/dir/index.html', nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
      qop: 'auth', nc: 1, cnonce: '0a4f113b',
    });
    assert.equal(response, '6629fae49393a05397450978507c4ef1');
  });

  // RES with a 00 byte and bytes that are not valid UTF-8: the password must stay binary.
  const res = '00ff80a54211d5e3';
  const ik = 'f769bcd751044604127672711c6d3441';
  const ck = 'b40ba9a3c58b2a05bbf0d987b21bf8cb';
  for (const algorithm of ['AKAv1-MD5', 'AKAv2-MD5'] as const) {
    for (const qop of ['auth', ''] as const) {
      it(`${algorithm}${qop ? ' qop=auth' : ' without qop'} matches an independent computation (binary-safe RES)`, () => {
        const password = akaPassword(algorithm, Buffer.from(res, 'hex'), Buffer.from(ik, 'hex'), Buffer.from(ck, 'hex'));
        const ours = computeResponse({
          username: '001010000000001@ims.example', realm: 'ims.example', password, method: 'REGISTER',
          uri: 'sip:ims.example', nonce: 'bm9uY2U=', ...(qop ? { qop, nc: 1, cnonce: '0a4f113b' } : {}),
        });
        assert.equal(ours, pythonDigest(algorithm, res, ik, ck, qop));
      });
    }
  }

  it('qop=auth-int hashes the body (RFC 2617 3.2.2.3)', () => {
    const base = {
      username: 'u', realm: 'r', password: Buffer.from('p'), method: 'INVITE', uri: 'sip:x', nonce: 'n',
      qop: 'auth-int' as const, nc: 1, cnonce: 'c',
    };
    assert.notEqual(computeResponse({ ...base, body: Buffer.from('v=0\r\n') }), computeResponse(base));
    assert.throws(() => computeResponse({ ...base, nc: undefined }), DigestError);
  });

  it('parses an IMS 401 challenge with quoted commas and escapes, and decodes the AKA nonce', () => {
    const rand = Buffer.alloc(16, 0x11);
    const autn = Buffer.alloc(16, 0x22);
    const nonce = Buffer.concat([rand, autn, Buffer.from('srv')]).toString('base64');
    const c = parseChallenge(
      `Digest realm="ims.mnc001.mcc001.3gppnetwork.org", nonce="${nonce}", algorithm=AKAv1-MD5,` +
      ` qop="auth,auth-int", opaque="a\\"b,c", stale=TRUE, ik="00", ck="01"`);
    assert.equal(c.algorithm, 'AKAv1-MD5');
    assert.deepEqual(c.qop, ['auth', 'auth-int']);
    assert.equal(c.opaque, 'a"b,c');
    assert.equal(c.stale, true);
    assert.equal(c.params.get('ik'), '00');
    const decoded = decodeAkaNonce(c.nonce);
    assert.ok(decoded.rand.equals(rand) && decoded.autn.equals(autn));
    assert.equal(decoded.serverData.toString(), 'srv');
    assert.equal(chooseQop(c.qop), 'auth');
  });

  it('formats an Authorization with auts on sync failure (RFC 3310 3.4) that parses back', () => {
    const auts = Buffer.from('4f2039392ddd4bb4316ed4a14688', 'hex');
    const header = formatAuthorization({
      username: '001010000000001@ims.example', realm: 'ims.example', nonce: 'bm9uY2U=', uri: 'sip:ims.example',
      response: computeResponse({
        username: '001010000000001@ims.example', realm: 'ims.example', password: Buffer.alloc(0),
        method: 'REGISTER', uri: 'sip:ims.example', nonce: 'bm9uY2U=', qop: 'auth', nc: 1, cnonce: 'abc',
      }),
      algorithm: 'AKAv1-MD5', qop: 'auth', nc: 1, cnonce: 'abc', auts,
    });
    const p = parseAuthorization(header);
    assert.equal(p.get('auts'), auts.toString('base64'));
    assert.equal(p.get('nc'), '00000001');
    assert.equal(p.get('algorithm'), 'AKAv1-MD5');
    assert.match(header, /qop=auth, nc=00000001,/);
  });

  it('rejects bad input with typed errors', () => {
    const bad: [() => unknown, RegExp][] = [
      [() => decodeAkaNonce('not base64!'), /not valid base64/],
      [() => decodeAkaNonce(Buffer.alloc(31).toString('base64')), /31 bytes, needs at least 32/],
      [() => parseChallenge('Digest realm="r", nonce="n", algorithm=SHA-512-256'), /unsupported digest algorithm "SHA-512-256"/],
      [() => parseChallenge('Basic realm="r"'), /unsupported authentication scheme "Basic"/],
      [() => parseChallenge('Digest nonce="n"'), /no realm/],
      [() => parseChallenge('Digest nonce="n", realm="r'), /unterminated/],
      [() => parseChallenge('Digest realm="r", realm="s", nonce="n"'), /appears twice/],
      [() => akaPassword('MD5', Buffer.alloc(8), Buffer.alloc(16), Buffer.alloc(16)), /not an AKA algorithm/],
    ];
    for (const [fn, re] of bad) assert.throws(fn, (e: unknown) => e instanceof DigestError && re.test(e.message));
  });
});
