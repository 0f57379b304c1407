import assert from 'node:assert/strict';
import { SecAgreeError } from '../../../../../daemon/ims/registration/errors.js';
import { buildSecurityClient, chooseMechanism, FULL_OFFER, parseSecurityMechanism } from '../../../../../daemon/ims/registration/sec-agree.js';

describe('ims/registration sec-agree headers (RFC 3329, TS 33.203 annex H)', () => {
  it('offers every pair by default (FULL_OFFER), one with a one-pair offer, with the UE SPIs and ports', () => {
    assert.deepEqual(buildSecurityClient({ spiC: 1, spiS: 2, portC: 3, portS: 4 }, [FULL_OFFER[0]!]), ['ipsec-3gpp;alg=hmac-sha-1-96;ealg=null;spi-c=1;spi-s=2;port-c=3;port-s=4']);
    assert.deepEqual(buildSecurityClient({ spiC: 1, spiS: 2, portC: 3, portS: 4 }).length, 4);
    const v = buildSecurityClient({ spiC: 1111, spiS: 2222, portC: 5100, portS: 5101 });
    assert.deepEqual(v, [
      'ipsec-3gpp;alg=hmac-sha-1-96;ealg=null;spi-c=1111;spi-s=2222;port-c=5100;port-s=5101',
      'ipsec-3gpp;alg=hmac-sha-1-96;ealg=aes-cbc;spi-c=1111;spi-s=2222;port-c=5100;port-s=5101',
      'ipsec-3gpp;alg=hmac-md5-96;ealg=null;spi-c=1111;spi-s=2222;port-c=5100;port-s=5101',
      'ipsec-3gpp;alg=hmac-md5-96;ealg=aes-cbc;spi-c=1111;spi-s=2222;port-c=5100;port-s=5101',
    ]);
  });

  it('parses a Security-Server value as Kamailio sends it, keeping the raw text', () => {
    const raw = 'ipsec-3gpp; ealg=null; alg=hmac-sha-1-96; spi-c=4001; spi-s=4002; port-c=5103; port-s=5203; prot=esp; mod=trans; q=0.1';
    const m = parseSecurityMechanism(raw)!;
    assert.deepEqual({ ...m }, { mechanism: 'ipsec-3gpp', alg: 'hmac-sha-1-96', ealg: 'null', spiC: 4001, spiS: 4002, portC: 5103, portS: 5203, q: 0.1, raw });
  });

  it('takes a missing ealg as null (TS 33.203 annex H) and ignores other mechanisms', () => {
    assert.equal(parseSecurityMechanism('ipsec-3gpp;alg=hmac-md5-96;spi-c=1;spi-s=2;port-c=3;port-s=4')!.ealg, 'null');
    assert.equal(parseSecurityMechanism('digest;d-alg=md5'), undefined);
  });

  it('chooses the highest q among the pairs it offered', () => {
    assert.throws(() => chooseMechanism(['ipsec-3gpp;alg=hmac-md5-96;ealg=null;spi-c=1;spi-s=2;port-c=3;port-s=4'], [FULL_OFFER[0]!]), SecAgreeError, 'md5 was not offered');
    const m = chooseMechanism([
      'ipsec-3gpp;alg=hmac-md5-96;ealg=null;spi-c=1;spi-s=2;port-c=3;port-s=4;q=0.5',
      'tls;q=0.9',
      'ipsec-3gpp;alg=hmac-sha-1-96;ealg=aes-cbc;spi-c=5;spi-s=6;port-c=7;port-s=8;q=0.7',
    ], FULL_OFFER);
    assert.equal(m.alg, 'hmac-sha-1-96');
    assert.equal(m.spiC, 5);
  });

  it('rejects a missing header, unsupported algorithms and malformed values with typed errors', () => {
    const kind = (f: () => unknown): string => {
      try {
        f();
      } catch (e) {
        assert.ok(e instanceof SecAgreeError);
        return e.kind;
      }
      return 'none';
    };
    assert.equal(kind(() => chooseMechanism([])), 'missing');
    assert.equal(kind(() => chooseMechanism(['ipsec-3gpp;alg=hmac-sha-256;spi-c=1;spi-s=2;port-c=3;port-s=4'])), 'unsupported');
    assert.equal(kind(() => chooseMechanism(['ipsec-3gpp;alg=hmac-sha-1-96;ealg=des-ede3-cbc;spi-c=1;spi-s=2;port-c=3;port-s=4'], FULL_OFFER)), 'unsupported');
    assert.equal(kind(() => chooseMechanism(['ipsec-3gpp;alg=hmac-sha-1-96;spi-c=x;spi-s=2;port-c=3;port-s=4'])), 'malformed');
    assert.equal(kind(() => chooseMechanism(['ipsec-3gpp;alg=hmac-sha-1-96;spi-c=1;spi-s=2;port-c=3;port-s=0'])), 'malformed');
    assert.equal(kind(() => chooseMechanism(['ipsec-3gpp;alg=hmac-sha-1-96;spi-c=1;spi-s=2;port-c=3;port-s=70000'])), 'malformed');
    assert.equal(kind(() => chooseMechanism(['ipsec-3gpp;spi-c=1;spi-s=2;port-c=3;port-s=4'])), 'malformed');
  });
});
