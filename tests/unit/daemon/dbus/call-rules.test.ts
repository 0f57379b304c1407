import { strict as assert } from 'node:assert';
import type { CallState } from '../../../../daemon/dbus/backend.js';
import {
  answerRefusal,
  dialRefusal,
  hangupRefusal,
  holdAndAnswerRefusal,
  MAX_VOICE_CALLS,
  releaseAndAnswerRefusal,
  swapRefusal,
  tonesRefusal,
} from '../../../../daemon/dbus/call-rules.js';

const allowed = (r: unknown): boolean => r === undefined;

describe('dbus: oFono core rules on the calls present (src/voicecall.c)', () => {
  it('Dial: not with an incoming call, a call being set up, active+held, or 16 calls', () => {
    assert.ok(allowed(dialRefusal([])));
    assert.ok(allowed(dialRefusal(['active'])), 'the backend puts the active call on hold');
    assert.ok(allowed(dialRefusal(['held'])));
    assert.ok(allowed(dialRefusal(['waiting'])));
    for (const states of [['incoming'], ['dialing'], ['alerting'], ['active', 'held'], Array<CallState>(MAX_VOICE_CALLS).fill('held')] as CallState[][]) {
      const r = dialRefusal(states);
      assert.equal(r?.errorName, 'Failed', states.join(','));
    }
  });

  it('Answer only on incoming; Hangup on anything not yet disconnected', () => {
    for (const s of ['active', 'held', 'dialing', 'alerting', 'incoming', 'waiting', 'disconnected'] as CallState[]) {
      assert.equal(allowed(answerRefusal(s)), s === 'incoming', s);
      assert.equal(allowed(hangupRefusal(s)), s !== 'disconnected', s);
    }
  });

  it('HoldAndAnswer and ReleaseAndAnswer need a waiting call; HoldAndAnswer not with active+held; SwapCalls not while waiting', () => {
    assert.ok(allowed(holdAndAnswerRefusal(['active', 'waiting'])));
    assert.equal(holdAndAnswerRefusal(['active'])?.errorName, 'Failed');
    assert.equal(holdAndAnswerRefusal(['incoming'])?.errorName, 'Failed');
    assert.equal(holdAndAnswerRefusal(['active', 'held', 'waiting'])?.errorName, 'Failed');
    assert.ok(allowed(releaseAndAnswerRefusal(['active', 'held', 'waiting'])));
    assert.equal(releaseAndAnswerRefusal(['active'])?.errorName, 'Failed');
    assert.ok(allowed(swapRefusal(['active', 'held'])));
    assert.equal(swapRefusal(['active', 'waiting'])?.errorName, 'Failed');
  });

  it('SendTones needs an active or alerting call', () => {
    assert.ok(allowed(tonesRefusal(['active'])));
    assert.ok(allowed(tonesRefusal(['held', 'alerting'])));
    for (const s of [[], ['held'], ['dialing'], ['incoming'], ['waiting']] as CallState[][]) assert.equal(tonesRefusal(s)?.errorName, 'Failed');
  });
});
