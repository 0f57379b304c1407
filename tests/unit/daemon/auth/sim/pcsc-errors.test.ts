import { strict as assert } from 'node:assert';
import { AuthError } from '../../../../../daemon/auth/errors.js';
import { CardStatusError, ReaderError, readerErrorFromNative } from '../../../../../daemon/auth/sim/pcsc-errors.js';
import { describeSw, formatSw } from '../../../../../daemon/auth/sim/pcsc-status-words.js';

describe('PC/SC errors and status words', () => {
  it('names status words as TS 102 221 10.2.1 and TS 31.103 7.3 do', () => {
    assert.equal(formatSw(0x6a82), '6A82');
    assert.equal(describeSw(0x6982), 'security status not satisfied');
    assert.equal(describeSw(0x6985), 'conditions of use not satisfied');
    assert.equal(describeSw(0x6a82), 'file or application not found');
    assert.equal(describeSw(0x9862), 'authentication error, incorrect MAC');
    assert.equal(describeSw(0x63c2), 'verification failed, 2 retries left');
    assert.equal(describeSw(0x6110), '16 response bytes still available');
    assert.equal(describeSw(0x1234), 'unknown status');
  });

  it('CardStatusError is an AuthError with the status word', () => {
    const e = new CardStatusError('SELECT ISIM', 0x6a82);
    assert.ok(e instanceof AuthError);
    assert.equal(e.name, 'CardStatusError');
    assert.equal(e.message, 'card answered SELECT ISIM with status 6A82 (file or application not found)');
  });

  it('maps the binding\'s error messages (pcsc-lite SCARD_* descriptions) to causes', () => {
    const cases: [string, string][] = [
      ['PC/SC service not running', 'no-service'],
      ['No readers available', 'no-reader'],
      ['Unknown reader', 'no-reader'],
      ['Card was removed', 'removed'],
      ['Reader unavailable', 'removed'],
      ['No smart card present', 'removed'],
      ['Sharing violation', 'sharing-violation'],
      ['Card is unresponsive', 'unresponsive'],
      ['Communication error', 'io'],
    ];
    for (const [message, cause] of cases) {
      const e = readerErrorFromNative(new Error(message), 'transmit', 'Virtual PCD 00 00');
      assert.ok(e instanceof ReaderError && e instanceof AuthError);
      assert.equal(e.cause, cause, message);
      assert.equal(e.reader, 'Virtual PCD 00 00');
      assert.match(e.message, new RegExp(`transmit failed on reader "Virtual PCD 00 00": ${message}`));
    }
    const already = new ReaderError('closed', 'closed');
    assert.equal(readerErrorFromNative(already, 'x'), already);
  });
});
