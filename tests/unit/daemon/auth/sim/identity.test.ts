import { strict as assert } from 'node:assert';
import { deriveIdentities, splitImsi } from '../../../../../daemon/auth/sim/identity.js';
import { AuthInputError } from '../../../../../daemon/auth/errors.js';

describe('auth/sim/identity (TS 23.003 13.2-13.4B)', () => {
  it('pads a 2-digit MNC to 3 digits in the home domain, IMPI and IMPU', () => {
    const ids = deriveIdentities('234150999999999', 2);
    assert.equal(ids.mcc, '234');
    assert.equal(ids.mnc, '15');
    assert.equal(ids.homeDomain, 'ims.mnc015.mcc234.3gppnetwork.org');
    assert.equal(ids.impi, '234150999999999@ims.mnc015.mcc234.3gppnetwork.org');
    assert.equal(ids.impu, 'sip:234150999999999@ims.mnc015.mcc234.3gppnetwork.org');
  });

  it('keeps a 3-digit MNC as it is', () => {
    const ids = deriveIdentities('310410123456789', 3);
    assert.equal(ids.mnc, '410');
    assert.equal(ids.homeDomain, 'ims.mnc410.mcc310.3gppnetwork.org');
    assert.equal(ids.impi, '310410123456789@ims.mnc410.mcc310.3gppnetwork.org');
  });

  it('rejects a malformed IMSI or MNC length without echoing the value', () => {
    for (const bad of ['', '12345', '1234567890123456', '00101abc', ' 001010000000001']) {
      assert.throws(() => splitImsi(bad, 2), (e: unknown) =>
        e instanceof AuthInputError && /IMSI/.test(e.message) && (bad === '' || !e.message.includes(bad)));
    }
    assert.throws(() => deriveIdentities('001010000000001', 4), AuthInputError);
  });
});
