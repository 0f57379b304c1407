import assert from 'node:assert/strict';
import { answerOffer, readAnswer, SdpNegotiationError } from '../../../../../../daemon/ims/call/sdp/answer.js';
import { applicationSpecificKbps } from '../../../../../../daemon/ims/call/sdp/bandwidth.js';
import { parseSdp, serializeSdp } from '../../../../../../daemon/ims/call/sdp/model.js';
import { buildOffer } from '../../../../../../daemon/ims/call/sdp/offer.js';
import { applyPeerPreconditions, initialOfferStatus, localMet, preconditionsMet, readPreconditions } from '../../../../../../daemon/ims/call/sdp/preconditions.js';
import { DEFAULT_MEDIA } from '../../../../../../modem-drivers/simulated/simulated-driver.js';
import type { MediaCapabilities } from '../../../../../../modem-drivers/driver.js';
import { BARESIP_OFFER, OPERATOR_183, SIPP_OFFER, VOLTE_OFFER } from './fixtures.js';

const LOCAL = { address: '10.45.0.2', port: 40000, sessionId: '77', sessionVersion: 1 };
const WITH_G711: MediaCapabilities = { ...DEFAULT_MEDIA, codecs: [...DEFAULT_MEDIA.codecs, { name: 'PCMU', clockRate: 8000 }] };

describe('ims/call/sdp offer/answer (RFC 3264, IR.92 3.2, RFC 3312)', () => {
  it('the IR.92 offer: AMR-WB and AMR, BE and OA as separate payload types, telephone-event 16000/8000, ptime/maxptime, b=AS, preconditions', () => {
    const { sdp, media } = buildOffer(DEFAULT_MEDIA, LOCAL, initialOfferStatus(false));
    const text = serializeSdp(sdp);
    assert.match(text, /^m=audio 40000 RTP\/AVP 96 97 98 99 100 101\r$/m);
    assert.match(text, /^a=rtpmap:96 AMR-WB\/16000\/1\r\na=fmtp:96 max-red=0;mode-change-capability=2\r$/m);
    assert.match(text, /^a=rtpmap:97 AMR-WB\/16000\/1\r\na=fmtp:97 octet-align=1;max-red=0;mode-change-capability=2\r$/m);
    assert.match(text, /^a=rtpmap:98 AMR\/8000\/1\r$/m);
    assert.match(text, /^a=fmtp:99 octet-align=1;/m);
    assert.match(text, /^a=rtpmap:100 telephone-event\/16000\r\na=fmtp:100 0-15\r\na=rtpmap:101 telephone-event\/8000\r$/m);
    assert.match(text, /^a=ptime:20\r\na=maxptime:240\r$/m);
    // TS 26.114: AMR-WB 23.85 over IPv4 at 20 ms
    assert.match(text, /^b=AS:41\r$/m);
    assert.match(text, /a=curr:qos local none\r\na=curr:qos remote none\r\na=des:qos mandatory local sendrecv\r\na=des:qos optional remote sendrecv\r\na=sendrecv\r\n$/);
    assert.equal(media.telephoneEvents.length, 2);
    assert.equal(parseSdp(text).media[0]!.formats.length, 6, 'parses back');
  });

  it('b=AS figures: AMR-WB 41 (IPv4) / 49 (IPv6), AMR 12.2 octet-aligned, PCMU 80', () => {
    assert.equal(applicationSpecificKbps({ name: 'AMR-WB', clockRate: 16000 }, 20, false), 41);
    assert.equal(applicationSpecificKbps({ name: 'AMR-WB', clockRate: 16000 }, 20, true), 49);
    assert.equal(applicationSpecificKbps({ name: 'AMR', clockRate: 8000, octetAlign: true }, 20, false), 30);
    assert.equal(applicationSpecificKbps({ name: 'PCMU', clockRate: 8000 }, 20, false), 80);
  });

  it('answers a VoLTE offer with its first codec, keeping its payload type, octet-align and telephone-event of the same rate', () => {
    const a = answerOffer(parseSdp(VOLTE_OFFER), DEFAULT_MEDIA, { local: LOCAL });
    assert.equal(a.negotiated.codec.payloadType, 104);
    assert.equal(a.negotiated.codec.octetAlign, undefined);
    assert.deepEqual(a.negotiated.telephoneEvent, { payloadType: 105, clockRate: 16000 });
    assert.equal(a.negotiated.remoteAddress, '10.0.0.7');
    assert.equal(a.negotiated.remotePort, 1234);
    assert.deepEqual(a.sdp.media[0]!.formats, ['104', '105']);
    // only octet-aligned on our side: the offer's OA payload type
    const oaOnly = { ...DEFAULT_MEDIA, codecs: DEFAULT_MEDIA.codecs.filter((c) => c.octetAlign) };
    assert.equal(answerOffer(parseSdp(VOLTE_OFFER), oaOnly, { local: LOCAL }).negotiated.codec.payloadType, 102);
  });

  it('mode-set: the common modes, no answer when none are common (RFC 4867 8.3.1)', () => {
    const offer = parseSdp(VOLTE_OFFER.replace('fmtp:104 mode', 'fmtp:104 mode-set=0,1,2;mode'));
    const ours: MediaCapabilities = { ...DEFAULT_MEDIA, codecs: [{ name: 'AMR-WB', clockRate: 16000, modeSet: [2, 8] }] };
    const a = answerOffer(offer, ours, { local: LOCAL });
    assert.deepEqual(a.negotiated.codec.modeSet, [2]);
    assert.match(serializeSdp(a.sdp), /a=fmtp:104 mode-set=2;/);
    const none: MediaCapabilities = { ...DEFAULT_MEDIA, codecs: [{ name: 'AMR-WB', clockRate: 16000, modeSet: [8] }] };
    assert.throws(() => answerOffer(offer, none, { local: LOCAL }), SdpNegotiationError);
  });

  it("answers baresip's and SIPp's g711 offers when the media side has PCMU, 488-worthy error otherwise", () => {
    const a = answerOffer(parseSdp(BARESIP_OFFER), WITH_G711, { local: LOCAL });
    assert.equal(a.negotiated.codec.name, 'PCMU');
    assert.equal(a.negotiated.codec.payloadType, 0);
    assert.deepEqual(a.negotiated.telephoneEvent, { payloadType: 101, clockRate: 8000 });
    assert.equal(a.negotiated.remotePort, 40060);
    const s = answerOffer(parseSdp(SIPP_OFFER), WITH_G711, { local: LOCAL });
    assert.equal(s.negotiated.telephoneEvent, undefined);
    assert.throws(() => answerOffer(parseSdp(BARESIP_OFFER), DEFAULT_MEDIA, { local: LOCAL }), /no common codec \(offered: PCMU\/8000, PCMA\/8000, telephone-event\/8000\)/);
  });

  it('hold: a sendonly offer gets recvonly (remote held); our own hold answers sendonly; extra streams are rejected with port 0', () => {
    const held = answerOffer(parseSdp(BARESIP_OFFER.replace('a=sendrecv', 'a=sendonly')), WITH_G711, { local: LOCAL });
    assert.equal(held.negotiated.remoteHeld, true);
    assert.equal(held.negotiated.direction, 'recvonly');
    assert.match(serializeSdp(held.sdp), /a=recvonly/);
    const weHold = answerOffer(parseSdp(BARESIP_OFFER), WITH_G711, { local: LOCAL, weHold: true });
    assert.equal(weHold.negotiated.direction, 'sendonly');
    const video = answerOffer(parseSdp(SIPP_OFFER + 'm=video 6002 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n'), WITH_G711, { local: LOCAL });
    assert.deepEqual(video.sdp.media.map((m) => [m.type, m.port]), [['audio', 40000], ['video', 0]]);
  });

  it("reads the operator 183 as the answer to our offer: codec by payload type, its telephone-event, the peer's preconditions", () => {
    const ours = buildOffer({ ...DEFAULT_MEDIA, codecs: [{ name: 'AMR-WB', clockRate: 16000, octetAlign: true }] }, LOCAL, initialOfferStatus(false));
    // the operator's numbering differs from ours: match by codec when the payload type is not ours
    const n = readAnswer(parseSdp(OPERATOR_183), ours.media, 'sendrecv', DEFAULT_MEDIA);
    assert.equal(n.codec.name, 'AMR-WB');
    assert.equal(n.codec.payloadType, 97);
    assert.deepEqual(n.telephoneEvent, { payloadType: 99, clockRate: 16000 });
    assert.equal(n.remoteAddress, '2001:db8::53');
    assert.equal(n.remoteHeld, false);
    const lines = readPreconditions(parseSdp(OPERATOR_183).media[0]!);
    assert.deepEqual(lines.conf, [{ segment: 'remote', direction: 'sendrecv' }]);
    let status = applyPeerPreconditions(initialOfferStatus(false), parseSdp(OPERATOR_183).media[0]!);
    // their "remote" mandatory is our local segment; they ask us to confirm it
    assert.equal(status.confirmRequested, 'sendrecv');
    assert.equal(status.remoteDesired.strength, 'mandatory');
    assert.equal(localMet(status), false);
    status = { ...status, localCurrent: 'sendrecv' };
    assert.equal(localMet(status), true);
    assert.equal(preconditionsMet(status), false, 'their segment is still none');
    const update = parseSdp(OPERATOR_183.replace('a=curr:qos local none', 'a=curr:qos local sendrecv'));
    assert.equal(preconditionsMet(applyPeerPreconditions(status, update.media[0]!)), true);
  });

  it('an answer naming nothing we offered is an SdpNegotiationError', () => {
    const ours = buildOffer(DEFAULT_MEDIA, LOCAL);
    assert.throws(() => readAnswer(parseSdp(SIPP_OFFER), ours.media, 'sendrecv', DEFAULT_MEDIA), /names no codec we offered \(0 PCMU\/8000\)/);
    assert.throws(() => readAnswer(parseSdp(SIPP_OFFER.replace('m=audio 6000', 'm=audio 0')), ours.media, 'sendrecv', DEFAULT_MEDIA), /rejected the audio stream/);
  });
});
