import assert from 'node:assert/strict';
import { aLawToLinear, decodeG711, encodeG711, linearToALaw, linearToMuLaw, muLawToLinear } from '../../../../modem-drivers/rtp/g711.js';
import { decodeRtp, encodeRtp, RtpError } from '../../../../modem-drivers/rtp/packet.js';
import { decodeTelephoneEvent, digitOfEvent, encodeTelephoneEvent, eventOfDigit } from '../../../../modem-drivers/rtp/telephone-event.js';

describe('rtp: packet, G.711 and telephone-event codecs', () => {
  it('RTP header (RFC 3550 5.1) round trip, byte for byte', () => {
    const b = encodeRtp({ payloadType: 101, marker: true, sequence: 0xfffe, timestamp: 0x89abcdef, ssrc: 0x01020304, payload: Buffer.from([1, 2, 3]) });
    assert.equal(b.toString('hex'), '80e5fffe89abcdef01020304010203');
    assert.deepEqual(decodeRtp(b), { payloadType: 101, marker: true, sequence: 0xfffe, timestamp: 0x89abcdef, ssrc: 0x01020304, payload: Buffer.from([1, 2, 3]) });
  });

  it('skips CSRCs, a header extension and padding; refuses what is no RTP', () => {
    // CC=1, X=1, P=1: 12 + 4 (CSRC) + 4 + 4 (extension of one word) + payload 2 + padding 2
    const b = Buffer.from('b100000100000002000000030000000abede00010000000077880002', 'hex');
    const p = decodeRtp(b);
    assert.deepEqual([...p.payload], [0x77, 0x88]);
    assert.throws(() => decodeRtp(Buffer.alloc(11)), RtpError);
    assert.throws(() => decodeRtp(Buffer.from('400000000000000000000000', 'hex')), /version 1/);
    assert.throws(() => decodeRtp(Buffer.from('a00000000000000000000000ff', 'hex')), RtpError);
    assert.throws(() => encodeRtp({ payloadType: 128, marker: false, sequence: 0, timestamp: 0, ssrc: 0, payload: Buffer.alloc(0) }), RtpError);
  });

  it('G.711 mu-law and A-law: the Recommendation\'s end points and zero', () => {
    assert.deepEqual([0, 32767, -32768, 1000].map(linearToMuLaw), [0xff, 0x80, 0x00, 0xce]);
    assert.deepEqual([0xff, 0x80, 0x00, 0x7f].map(muLawToLinear), [0, 32124, -32124, 0]);
    assert.deepEqual([0, 32767, -32768, -1].map(linearToALaw), [0xd5, 0xaa, 0x2a, 0x55]);
    assert.deepEqual([0xd5, 0xaa, 0x2a, 0x55].map(aLawToLinear), [8, 32256, -32256, -8]);
  });

  it('G.711: decoding what was encoded stays within the quantisation step', () => {
    const pcm = Int16Array.from({ length: 2000 }, (_, i) => Math.round(30000 * Math.sin(i / 7)));
    for (const law of ['PCMU', 'PCMA'] as const) {
      const back = decodeG711(law, encodeG711(law, pcm));
      for (let i = 0; i < pcm.length; i++) {
        const err = Math.abs(back[i]! - pcm[i]!);
        assert.ok(err <= Math.max(16, Math.abs(pcm[i]!) / 16), `${law} sample ${pcm[i]} came back as ${back[i]}`);
      }
    }
  });

  it('telephone-event (RFC 4733 2.3, 3.2): digits, E bit, volume, duration', () => {
    assert.deepEqual([...'0159*#AD'].map(eventOfDigit), [0, 1, 5, 9, 10, 11, 12, 15]);
    assert.equal(digitOfEvent(11), '#');
    assert.equal(digitOfEvent(16), undefined, 'flash is no digit');
    assert.throws(() => eventOfDigit('E'), RtpError);
    const b = encodeTelephoneEvent({ event: 11, end: true, volume: 10, duration: 800 });
    assert.equal(b.toString('hex'), '0b8a0320');
    assert.deepEqual(decodeTelephoneEvent(b), { event: 11, end: true, volume: 10, duration: 800 });
    assert.throws(() => decodeTelephoneEvent(Buffer.alloc(3)), RtpError);
  });
});
