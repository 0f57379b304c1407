import { strict as assert } from 'node:assert';
import { parseAuthenticateResponse } from '../../../../../daemon/auth/sim/pcsc-authenticate.js';
import { CardDataError, CardStatusError } from '../../../../../daemon/auth/sim/pcsc-errors.js';

const res = Buffer.from('a54211d5e3ba50bf', 'hex');
const ck = Buffer.from('b40ba9a3c58b2a05bbf0d987b21bf8cb', 'hex');
const ik = Buffer.from('f769bcd751044604127672711c6d3441', 'hex');
const lv = (b: Buffer): Buffer => Buffer.concat([Buffer.from([b.length]), b]);

describe('AUTHENTICATE response (TS 31.102 / 31.103 7.1.2)', () => {
  it("'DB': RES, CK and IK", () => {
    const r = parseAuthenticateResponse({ data: Buffer.concat([Buffer.from([0xdb]), lv(res), lv(ck), lv(ik)]), sw: 0x9000 });
    assert.equal(r.kind, 'ok');
    if (r.kind !== 'ok') return;
    assert.ok(r.res.equals(res) && r.ck.equals(ck) && r.ik.equals(ik));
  });

  it("'DB' from a USIM with a trailing Kc (3G context with GSM access) is accepted", () => {
    const r = parseAuthenticateResponse({ data: Buffer.concat([Buffer.from([0xdb]), lv(res), lv(ck), lv(ik), lv(Buffer.alloc(8, 1))]), sw: 0x9000 });
    assert.equal(r.kind, 'ok');
  });

  it("'DC': AUTS", () => {
    const auts = Buffer.from('451e8beca43b8b0db8c6e8b1fcc5', 'hex');
    const r = parseAuthenticateResponse({ data: Buffer.concat([Buffer.from([0xdc]), lv(auts)]), sw: 0x9000 });
    assert.deepEqual(r, { kind: 'sync-failure', auts });
  });

  it('9862 is a MAC failure, not an error', () => {
    assert.deepEqual(parseAuthenticateResponse({ data: Buffer.alloc(0), sw: 0x9862 }), { kind: 'mac-failure', cause: 'mac' });
  });

  it('other status words are CardStatusErrors with the status word', () => {
    for (const sw of [0x6982, 0x6985, 0x9864, 0x6a82]) {
      assert.throws(() => parseAuthenticateResponse({ data: Buffer.alloc(0), sw }), (e: unknown) => e instanceof CardStatusError && e.sw === sw);
    }
  });

  it('malformed responses are CardDataErrors that do not carry the response bytes', () => {
    const cases = [
      Buffer.alloc(0),
      Buffer.from([0xde, 0x01, 0x02]),
      Buffer.concat([Buffer.from([0xdb]), lv(res), lv(ck)]), // IK missing
      Buffer.concat([Buffer.from([0xdb]), lv(Buffer.alloc(2)), lv(ck), lv(ik)]), // RES too short
      Buffer.concat([Buffer.from([0xdb]), lv(res), lv(ck.subarray(0, 8)), lv(ik)]), // short CK
      Buffer.concat([Buffer.from([0xdc]), lv(Buffer.alloc(13))]),
    ];
    for (const data of cases) {
      assert.throws(() => parseAuthenticateResponse({ data, sw: 0x9000 }), (e: unknown) => {
        assert.ok(e instanceof CardDataError);
        for (const secret of [res, ck, ik]) assert.ok(!e.message.toLowerCase().includes(secret.toString('hex')));
        return true;
      });
    }
  });
});
