// Branch generation (RFC 3261 8.1.1.7): the magic cookie, token characters, uniqueness.
import assert from 'node:assert/strict';
import { isRfc3261Branch, MAGIC_COOKIE, newBranch } from '../../../../../daemon/sip/transactions/index.js';

describe('transaction branches (RFC 3261 8.1.1.7)', () => {
  it('start with z9hG4bK, are tokens, and do not repeat over a few pool refills', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const b = newBranch();
      assert.ok(b.startsWith(MAGIC_COOKIE));
      assert.match(b, /^z9hG4bK[A-Za-z0-9]{16}$/);
      seen.add(b);
    }
    assert.equal(seen.size, 1000);
  });

  it('use the injected randomness when given; recognise RFC 2543 branches', () => {
    assert.equal(newBranch(() => 'abc'), 'z9hG4bKabc');
    assert.ok(isRfc3261Branch('z9hG4bKx'));
    assert.ok(!isRfc3261Branch('1234'));
    assert.ok(!isRfc3261Branch(null));
  });
});
