import assert from 'node:assert/strict';
import { FakeClock, SystemClock } from '../../../../daemon/sip/clock.js';

describe('sip/clock', () => {
  it('FakeClock fires timers in due order, including ones set while firing', () => {
    const c = new FakeClock(1000);
    const fired: string[] = [];
    c.setTimer(500, () => fired.push(`a@${c.now()}`));
    c.setTimer(100, () => {
      fired.push(`b@${c.now()}`);
      c.setTimer(100, () => fired.push(`c@${c.now()}`));
    });
    const d = c.setTimer(150, () => fired.push('d'));
    c.clearTimer(d);
    c.advance(499);
    assert.deepEqual(fired, ['b@1100', 'c@1200']);
    assert.equal(c.now(), 1499);
    assert.equal(c.nextDue(), 1);
    c.advance(1);
    assert.deepEqual(fired, ['b@1100', 'c@1200', 'a@1500']);
    assert.equal(c.pending, 0);
    assert.throws(() => c.advance(-1), RangeError);
  });

  it('SystemClock runs and cancels real timers', async () => {
    const c = new SystemClock();
    const t0 = c.now();
    let cancelled = false;
    const h = c.setTimer(5, () => {
      cancelled = true;
    });
    c.clearTimer(h);
    await new Promise<void>((resolve) => c.setTimer(20, resolve));
    assert.equal(cancelled, false);
    assert.ok(c.now() - t0 >= 15);
    assert.equal(c.pending, 0);
  });
});
