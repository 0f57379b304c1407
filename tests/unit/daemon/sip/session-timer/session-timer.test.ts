import assert from 'node:assert/strict';
import { FakeClock } from '../../../../../daemon/sip/clock.js';
import { expiryDelaySeconds, refreshMethod, SessionTimer } from '../../../../../daemon/sip/session-timer/session-timer.js';

function setup() {
  const clock = new FakeClock();
  const log: string[] = [];
  const t = new SessionTimer(clock, {
    onRefresh: () => log.push(`refresh@${clock.now() / 1000}`),
    onExpire: () => log.push(`expire@${clock.now() / 1000}`),
  });
  return { clock, log, t };
}

describe('sip/session-timer/session-timer (RFC 4028 10)', () => {
  it('the refresher refreshes at half the interval; each successful refresh starts over', () => {
    const { clock, log, t } = setup();
    t.start({ interval: 1800, refresher: 'uac' }, 'uac');
    assert.equal(t.weRefresh, true);
    clock.advance(900_000);
    assert.deepEqual(log, ['refresh@900']);
    t.start({ interval: 1800, refresher: 'uac' }, 'uac'); // the refresh got its 2xx
    clock.advance(900_000);
    assert.deepEqual(log, ['refresh@900', 'refresh@1800']);
  });

  it('the refresher whose refreshes fail ends the session at SE - min(32, SE/3)', () => {
    const { clock, log, t } = setup();
    t.start({ interval: 1800, refresher: 'uas' }, 'uas');
    clock.advance(1800_000);
    assert.deepEqual(log, ['refresh@900', 'expire@1768']);
  });

  it('the other side sends BYE SE - min(32, SE/3) after the last refresh when none comes', () => {
    const { clock, log, t } = setup();
    t.start({ interval: 90, refresher: 'uac' }, 'uas');
    assert.equal(t.weRefresh, false);
    clock.advance(59_999);
    assert.deepEqual(log, []);
    clock.advance(1);
    assert.deepEqual(log, ['expire@60']);
    assert.equal(expiryDelaySeconds(1800), 1768);
    assert.equal(expiryDelaySeconds(90), 60);
  });

  it('a refresh from the peer restarts the wait; stop() clears everything', () => {
    const { clock, log, t } = setup();
    t.start({ interval: 600, refresher: 'uac' }, 'uas');
    clock.advance(500_000);
    t.start({ interval: 600, refresher: 'uac' }, 'uas');
    clock.advance(500_000);
    assert.deepEqual(log, []);
    t.stop();
    clock.advance(10_000_000);
    assert.deepEqual(log, []);
    assert.equal(clock.pending, 0);
  });

  it('refreshes with UPDATE when the peer allows it, else re-INVITE', () => {
    assert.equal(refreshMethod(new Set(['INVITE', 'UPDATE', 'ACK'])), 'UPDATE');
    assert.equal(refreshMethod(new Set(['INVITE'])), 'INVITE');
    assert.equal(refreshMethod(undefined), 'INVITE');
  });
});
