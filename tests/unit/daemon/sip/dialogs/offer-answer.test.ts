import assert from 'node:assert/strict';
import { glareRetryDelayMs, OfferAnswer, OfferAnswerError } from '../../../../../daemon/sip/dialogs/offer-answer.js';
import { sequenceRandom } from '../../../../../daemon/sip/dialogs/random.js';

describe('sip/dialogs/offer-answer (RFC 3264, RFC 3311 5)', () => {
  it('follows one offer and its answer in each direction', () => {
    const oa = new OfferAnswer();
    assert.equal(oa.mayOffer(), true);
    oa.localOffer();
    assert.equal(oa.state, 'local-offer');
    assert.equal(oa.mayOffer(), false);
    assert.throws(() => oa.localOffer(), OfferAnswerError);
    assert.throws(() => oa.remoteOffer(), OfferAnswerError);
    oa.remoteAnswer();
    oa.remoteOffer();
    assert.equal(oa.mayOffer(), false);
    assert.throws(() => oa.remoteAnswer(), OfferAnswerError);
    oa.localAnswer();
    assert.equal(oa.state, 'stable');
    assert.equal(oa.completedExchanges, 2);
  });

  it('an UPDATE offer during our own pending offer gets 491 (glare)', () => {
    const oa = new OfferAnswer();
    oa.localOffer();
    assert.deepEqual(oa.receiveUpdateOffer(), { accept: false, status: 491 });
    assert.equal(oa.state, 'local-offer', 'still waiting for our answer');
  });

  it('an UPDATE offer while we owe an answer gets 500 with Retry-After in 0..10', () => {
    const oa = new OfferAnswer();
    oa.remoteOffer();
    assert.deepEqual(oa.receiveUpdateOffer(sequenceRandom([7])), { accept: false, status: 500, retryAfter: 7 });
    const bounds: Array<[number, number]> = [];
    oa.receiveUpdateOffer({ int: (a, b) => (bounds.push([a, b]), a), token: () => '' });
    assert.deepEqual(bounds, [[0, 10]]);
  });

  it('an UPDATE offer in a stable session is taken; a refused offer returns to stable', () => {
    const oa = new OfferAnswer();
    assert.deepEqual(oa.receiveUpdateOffer(), { accept: true });
    assert.equal(oa.state, 'remote-offer');
    oa.remoteOfferRejected();
    assert.equal(oa.state, 'stable');
    oa.localOffer();
    oa.localOfferRejected();
    assert.equal(oa.state, 'stable');
    assert.equal(oa.completedExchanges, 0);
  });

  it('glare retry delay: 2.1..4 s for the Call-ID owner, 0..2 s otherwise, in 10 ms steps (RFC 3261 14.1)', () => {
    const seen: Array<[number, number]> = [];
    const r = { int: (a: number, b: number) => (seen.push([a, b]), b), token: () => '' };
    assert.equal(glareRetryDelayMs(true, r), 4000);
    assert.equal(glareRetryDelayMs(false, r), 2000);
    assert.deepEqual(seen, [[210, 400], [0, 200]]);
    for (let i = 0; i < 50; i++) {
      const d = glareRetryDelayMs(true);
      assert.ok(d >= 2100 && d <= 4000 && d % 10 === 0);
    }
  });
});
