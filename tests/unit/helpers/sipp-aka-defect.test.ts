// The proof that a SIPp run failed on SIPp 3.6.1's RES zero-byte defect (tests/helpers/sipp-runner.ts):
// true only for a 403 to the answer AND a RAND whose RES (TS 35.206 f2) has a zero byte.
import assert from 'node:assert/strict';
import { computeOpc, milenage } from '../../../daemon/auth/milenage.js';
import { akaResHasZeroByte, lastAkaNonce, runUntilNoSippAkaDefect, sippAkaDefectProven } from '../../helpers/sipp-runner.js';

const secrets = { k: Buffer.from('imsdlabsippkey01'), op: Buffer.from('imsdlabsippop001'), amf: Buffer.from('ab') };

/** the first RAND (counting up from 0) whose RES does / does not hold a zero byte */
function rand(withZero: boolean): Buffer {
  for (let i = 0; ; i++) {
    const r = Buffer.alloc(16);
    r.writeUInt32BE(i, 12);
    const res = milenage(secrets.k, computeOpc(secrets.k, secrets.op), r, Buffer.alloc(6), secrets.amf).res;
    if (res.includes(0) === withZero) return r;
  }
}
const nonceOf = (r: Buffer): string => Buffer.concat([r, Buffer.alloc(16, 0x11)]).toString('base64');
const challenge = (r: Buffer): string => `SIP/2.0 401 Unauthorized\r\nCSeq: 1 REGISTER\r\nWWW-Authenticate: Digest realm="x", nonce="${nonceOf(r)}", algorithm=AKAv1-MD5\r\n\r\n`;
const refused = "Aborting call on unexpected message for Call-Id '1': while expecting '200' (index 6), received 'SIP/2.0 403 Forbidden\r\nCSeq: 2 REGISTER\r\n\r\n'";

describe('tests/helpers/sipp-runner SIPp AKA defect proof', () => {
  it('proves the defect only for a 403 to the answer and a RES with a zero byte', () => {
    const zero = rand(true);
    const clean = rand(false);
    assert.equal(akaResHasZeroByte(secrets, nonceOf(zero)), true);
    assert.equal(akaResHasZeroByte(secrets, nonceOf(clean)), false);
    assert.equal(lastAkaNonce(challenge(clean) + challenge(zero)), nonceOf(zero), 'the last challenge counts');
    assert.equal(sippAkaDefectProven(secrets, { errors: refused, trace: challenge(zero) }), true);
    assert.equal(sippAkaDefectProven(secrets, { errors: refused, trace: challenge(clean) }), false, 'a 403 with a clean RES is a real failure');
    assert.equal(sippAkaDefectProven(secrets, { errors: refused.replace('403 Forbidden', '500 Server Error'), trace: challenge(zero) }), false);
    assert.equal(sippAkaDefectProven(secrets, { errors: refused.replace('CSeq: 2', 'CSeq: 1'), trace: challenge(zero) }), false);
    assert.equal(sippAkaDefectProven(secrets, { errors: refused, trace: '' }), false, 'no challenge seen, no proof');
  });

  it('runs again only while the defect is proven, at most maxRuns times', async () => {
    const runs: number[] = [];
    const last = await runUntilNoSippAkaDefect(async (a) => (runs.push(a), a), (a) => a < 2);
    assert.deepEqual(runs, [1, 2]);
    assert.equal(last, 2);
    const capped: number[] = [];
    await runUntilNoSippAkaDefect(async (a) => (capped.push(a), a), () => true, { maxRuns: 3 });
    assert.deepEqual(capped, [1, 2, 3]);
  });
});
