// ESP keys from IK/CK (TS 33.203 Annex I) and the typed refusal of what cannot be installed.
import assert from 'node:assert/strict';
import { deriveEspKeys } from '../../../../daemon/ipsec/algorithms.js';
import { IpsecError, IpsecInputError } from '../../../../daemon/ipsec/types.js';

const IK = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
const CK = Buffer.from('0123456789abcdeffedcba9876543210', 'hex');

describe('daemon/ipsec/algorithms', () => {
  it('hmac-sha-1-96: IK || 32 zero bits; hmac-md5-96: IK; both truncated to 96 bits', () => {
    const s = deriveEspKeys('hmac-sha-1-96', 'null', IK, CK);
    assert.equal(s.authName, 'hmac(sha1)');
    assert.equal(s.authKey.toString('hex'), `${IK.toString('hex')}00000000`);
    assert.equal(s.authTruncBits, 96);
    const m = deriveEspKeys('hmac-md5-96', 'null', IK, CK);
    assert.equal(m.authName, 'hmac(md5)');
    assert.ok(m.authKey.equals(IK));
  });

  it('aes-cbc: CK; des-ede3-cbc: CK1 || CK2 || CK1; null: no key', () => {
    assert.deepEqual([deriveEspKeys('hmac-md5-96', 'aes-cbc', IK, CK).encName, deriveEspKeys('hmac-md5-96', 'aes-cbc', IK, CK).encKey.equals(CK)],
      ['cbc(aes)', true]);
    const d = deriveEspKeys('hmac-md5-96', 'des-ede3-cbc', IK, CK);
    assert.equal(d.encName, 'cbc(des3_ede)');
    assert.equal(d.encKey.toString('hex'), '0123456789abcdef' + 'fedcba9876543210' + '0123456789abcdef');
    const n = deriveEspKeys('hmac-md5-96', 'null', IK, Buffer.alloc(0));
    assert.deepEqual([n.encName, n.encKey.length], ['ecb(cipher_null)', 0]);
  });

  it('an unsupported algorithm set or a wrong key length is an IpsecInputError that names no key', () => {
    const cases: [string, string, Buffer, Buffer][] = [
      ['hmac-sha-256-128', 'null', IK, CK], ['hmac-md5-96', 'aes-gcm', IK, CK],
      ['hmac-md5-96', 'null', IK.subarray(0, 8), CK], ['hmac-md5-96', 'aes-cbc', IK, CK.subarray(0, 15)],
    ];
    for (const [i, e, ik, ck] of cases) {
      assert.throws(() => deriveEspKeys(i, e, ik, ck), (err: unknown) => {
        assert.ok(err instanceof IpsecInputError && err instanceof IpsecError);
        assert.equal(err.operation, 'install');
        assert.equal(err.errno, undefined);
        for (const k of [IK, CK]) assert.ok(!err.message.includes(k.toString('hex')) && !err.message.includes(k.subarray(0, 8).toString('hex')));
        return true;
      });
    }
  });
});
