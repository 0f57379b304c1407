import assert from 'node:assert/strict';
import { backoffSeconds, reRegisterDelaySeconds } from '../../../../../daemon/ims/registration/timing.js';

describe('ims/registration timing', () => {
  it('re-registers 600 s before expiry above 1200 s, else at half (TS 24.229 5.1.1.4.1)', () => {
    assert.equal(reRegisterDelaySeconds(600000), 599400);
    assert.equal(reRegisterDelaySeconds(1201), 601);
    assert.equal(reRegisterDelaySeconds(1200), 600);
    assert.equal(reRegisterDelaySeconds(60), 30);
  });

  it('backs off as RFC 5626 4.5 says, capped, 50-100% of the bound', () => {
    assert.equal(backoffSeconds(1, 0), 30);
    assert.equal(backoffSeconds(1, 0.999999) > 59.9, true);
    assert.equal(backoffSeconds(2, 0), 60);
    assert.equal(backoffSeconds(10, 0), 900);
    assert.equal(backoffSeconds(10, 1), 1800);
    assert.equal(backoffSeconds(3, 0, { baseSeconds: 90, maxSeconds: 100 }), 50);
  });
});
