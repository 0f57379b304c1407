import assert from 'node:assert/strict';
import { attributeValues, parseSdp, SdpParseError, serializeSdp } from '../../../../../../daemon/ims/call/sdp/model.js';
import { isOctetAligned, modeSetOf, rtpFormats } from '../../../../../../daemon/ims/call/sdp/rtp-formats.js';
import { directionOf, heldByPeer } from '../../../../../../daemon/ims/call/sdp/direction.js';
import { BARESIP_OFFER, OPERATOR_183, SIPP_OFFER, VOLTE_OFFER } from './fixtures.js';

describe('ims/call/sdp model (RFC 4566)', () => {
  it("parses baresip's offer and serializes it back line for line", () => {
    const sd = parseSdp(BARESIP_OFFER);
    assert.equal(sd.origin.sessionVersion, 1658137066);
    assert.equal(sd.connection?.address, '127.0.0.1');
    const m = sd.media[0]!;
    assert.equal(m.port, 40060);
    assert.deepEqual(m.formats, ['0', '8', '101']);
    assert.deepEqual(m.bandwidths, [{ type: 'AS', value: 64 }]);
    assert.deepEqual(attributeValues(m, 'ssrc'), ['2233883749 cname:6b8b6a8e-51ab-4e5c-90ad-51e31c25bbb3']);
    assert.equal(serializeSdp(sd), BARESIP_OFFER);
  });

  it("reads SIPp's static payload type and a LF-only operator 183", () => {
    const sipp = rtpFormats(parseSdp(SIPP_OFFER).media[0]!);
    assert.deepEqual(sipp.map((f) => [f.payloadType, f.name, f.clockRate]), [[0, 'PCMU', 8000]]);
    const op = parseSdp(OPERATOR_183);
    assert.equal(op.connection?.addrType, 'IP6');
    const f = rtpFormats(op.media[0]!);
    assert.equal(f[0]!.name, 'AMR-WB');
    assert.equal(f[0]!.channels, 1);
    assert.ok(isOctetAligned(f[0]!));
    assert.equal(f[1]!.name, 'telephone-event');
    assert.deepEqual(op.media[0]!.bandwidths.map((b) => b.type), ['AS', 'RS', 'RR']);
  });

  it('tells bandwidth-efficient from octet-aligned AMR and reads mode-set', () => {
    const f = rtpFormats(parseSdp(VOLTE_OFFER.replace('fmtp:110 mode-change', 'fmtp:110 mode-set=0,2,4,7;mode-change')).media[0]!);
    assert.deepEqual(f.map((x) => `${x.payloadType}:${x.name}:${isOctetAligned(x) ? 'oa' : 'be'}`), [
      '104:AMR-WB:be', '102:AMR-WB:oa', '110:AMR:be', '108:AMR:oa', '105:telephone-event:be', '100:telephone-event:be',
    ]);
    assert.deepEqual(modeSetOf(f[2]!), [0, 2, 4, 7]);
    assert.equal(modeSetOf(f[0]!), undefined);
  });

  it('hold directions: media over session attribute, c=0.0.0.0 counts as held (RFC 3264 8.4)', () => {
    const held = parseSdp(SIPP_OFFER.replace('t=0 0\r\n', 't=0 0\r\na=sendonly\r\n'));
    assert.equal(directionOf(held, held.media[0]!), 'sendonly');
    assert.ok(heldByPeer(held, held.media[0]!));
    const own = parseSdp(SIPP_OFFER.replace('t=0 0\r\n', 't=0 0\r\na=sendonly\r\n') + 'a=sendrecv\r\n');
    assert.equal(directionOf(own, own.media[0]!), 'sendrecv');
    const old = parseSdp(SIPP_OFFER.replace('c=IN IP4 127.0.0.1', 'c=IN IP4 0.0.0.0'));
    assert.ok(heldByPeer(old, old.media[0]!));
    assert.equal(directionOf(parseSdp(BARESIP_OFFER), parseSdp(BARESIP_OFFER).media[0]!), 'sendrecv');
  });

  it('rejects broken descriptions with SdpParseError naming the problem', () => {
    assert.throws(() => parseSdp('o=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\n'), (e: unknown) => e instanceof SdpParseError && /no v= line/.test(e.message));
    assert.throws(() => parseSdp('v=0\r\no=- 1 IN IP4\r\ns=-\r\n'), /o= needs six fields/);
    assert.throws(() => parseSdp(SIPP_OFFER.replace('m=audio 6000', 'm=audio 99999')), /port is not a port/);
    assert.throws(() => parseSdp(SIPP_OFFER + 'garbage\r\n'), /not an SDP line/);
    assert.throws(() => parseSdp(SIPP_OFFER.replace('b=', 'x=').replace('c=IN IP4 127.0.0.1', 'c=IN IP4')), /c= needs/);
  });
});
