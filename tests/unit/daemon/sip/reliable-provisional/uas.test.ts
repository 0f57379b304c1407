import assert from 'node:assert/strict';
import { FakeClock } from '../../../../../daemon/sip/clock.js';
import { sequenceRandom } from '../../../../../daemon/sip/dialogs/random.js';
import { ReliableProvisionalSender } from '../../../../../daemon/sip/reliable-provisional/uas.js';
import { ReliableProvisionalError } from '../../../../../daemon/sip/reliable-provisional/errors.js';
import type { SipResponse } from '../../../../../daemon/sip/message.js';
import { createResponse } from '../../../../../daemon/sip/response.js';
import { aliceInvite, request } from '../dialogs/messages.js';

function prack(rack: string, seq = 11) {
  return request([
    'PRACK sip:bob@198.51.100.20 SIP/2.0',
    `Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-pr${seq}`,
    'From: "Alice" <sip:alice@example.com>;tag=a1',
    'To: <sip:bob@example.com>;tag=b1',
    'Call-ID: call-1@192.0.2.10',
    `CSeq: ${seq} PRACK`,
    `RAck: ${rack}`,
  ]);
}

function setup(startRseq = 1000) {
  const clock = new FakeClock();
  const inv = aliceInvite(['Supported: 100rel']);
  const sent: Array<{ at: number; rseq: number | undefined; status: number }> = [];
  const timeouts: SipResponse[] = [];
  const s = new ReliableProvisionalSender(inv, {
    clock,
    random: sequenceRandom([startRseq]),
    send: (r) => sent.push({ at: clock.now(), rseq: r.rseq, status: r.status }),
    onTimeout: (r) => timeouts.push(r),
  });
  const res = (status: number, body = '') => createResponse(inv, status, { toTag: 'b1', body });
  return { clock, inv, sent, timeouts, s, res };
}

describe('sip/reliable-provisional/uas (RFC 3262 3)', () => {
  it('adds Require: 100rel and RSeq, retransmits at T1 doubling, and gives up at 64*T1', () => {
    const { clock, sent, timeouts, s, res } = setup(7);
    const r183 = res(183, 'v=0\r\n');
    s.sendReliable(r183);
    assert.deepEqual(r183.optionTags('Require'), ['100rel']);
    assert.equal(r183.rseq, 7);
    clock.advance(32_000 - 1);
    assert.deepEqual(
      sent.map((x) => x.at),
      [0, 500, 1500, 3500, 7500, 15500, 31500],
    );
    assert.equal(timeouts.length, 0);
    clock.advance(1);
    assert.deepEqual(timeouts, [r183]);
    assert.equal(s.unacknowledged, undefined);
    assert.equal(clock.pending, 0);
    assert.throws(() => s.sendReliable(res(180)), ReliableProvisionalError);
  });

  it('a matching PRACK stops the retransmissions and lets the next queued one out with RSeq+1', () => {
    const { clock, sent, s, res } = setup(2 ** 31 - 1);
    s.sendReliable(res(180));
    s.sendReliable(res(183, 'v=0\r\n'));
    assert.equal(sent.length, 1, 'only one unacknowledged at a time');
    assert.equal(s.queued, 1);
    assert.equal(s.blocks2xx(), true, 'the queued 183 carries SDP');
    clock.advance(600);
    assert.equal(sent.length, 2);
    assert.deepEqual(s.receivePrack(prack(`${2 ** 31 - 1} 11 INVITE`)).status, 481, 'CSeq of another request');
    const m = s.receivePrack(prack(`${2 ** 31 - 1} 10 INVITE`));
    assert.equal(m.status, 200);
    assert.deepEqual(sent.map((x) => [x.at, x.status, x.rseq]), [
      [0, 180, 2 ** 31 - 1],
      [500, 180, 2 ** 31 - 1],
      [600, 183, 2 ** 31],
    ]);
    assert.equal(s.blocks2xx(), true);
    assert.equal(s.receivePrack(prack(`${2 ** 31 - 1} 10 INVITE`, 12)).status, 481, 'already acknowledged');
    assert.equal(s.receivePrack(prack(`${2 ** 31} 10 INVITE`, 13)).status, 200);
    assert.equal(s.blocks2xx(), false);
    clock.advance(60_000);
    assert.equal(sent.length, 3, 'nothing retransmitted after the PRACK');
  });

  it('an unacknowledged provisional without SDP does not hold back the 2xx; stop() ends retransmission', () => {
    const { clock, sent, s, res } = setup();
    s.sendReliable(res(180));
    assert.equal(s.blocks2xx(), false);
    s.stop();
    clock.advance(10_000);
    assert.equal(sent.length, 1);
    assert.equal(clock.pending, 0);
  });

  it('draws the first RSeq from 1..2**31-1 and refuses 100 and finals', () => {
    const seen: Array<[number, number]> = [];
    const { s, res } = setup();
    assert.throws(() => s.sendReliable(res(100)), /101..199/);
    assert.throws(() => s.sendReliable(res(200)), /101..199/);
    const clock = new FakeClock();
    new ReliableProvisionalSender(aliceInvite(), {
      clock,
      random: { int: (a, b) => (seen.push([a, b]), a), token: () => 'x' },
      send: () => {},
      onTimeout: () => {},
    });
    assert.deepEqual(seen, [[1, 2 ** 31 - 1]]);
    assert.equal(s.receivePrack(prack('1000 10 INVITE')).status, 481, 'nothing was sent');
  });
});
