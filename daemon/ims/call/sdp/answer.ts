// Offer/answer for the MMTel audio stream (RFC 3264 6, RFC 4867 8.3, IR.92 3.2): our answer to a
// peer's offer (the first common codec in the offerer's order whose fmtp is compatible, the
// telephone-event of the same clock rate, the offer's payload type numbers), and reading the peer's
// answer to our offer. The result is what the media side needs (MediaSession without the call id).
import type { MediaCapabilities, MediaCodec, MediaDirection, MediaSession } from '../../../../modem-drivers/driver.js';
import { answerDirection, directionOf, heldByPeer } from './direction.js';
import { mediaConnection, type SdpMedia, type SessionDescription } from './model.js';
import { buildAudioSdp, DEFAULT_PTIME, type LocalMedia, type OfferedMedia } from './offer.js';
import type { QosStatus } from './preconditions.js';
import { isAmr, isOctetAligned, modeSetOf, rtpFormats, type RtpFormat } from './rtp-formats.js';

export class SdpNegotiationError extends Error {
  override readonly name = 'SdpNegotiationError';
}

/**
 * What both sides agreed on for the audio stream: the driver's MediaSession without what the call
 * adds (its id and our own address and port). `direction` is from our side: what our media does
 * (sendonly: we send only).
 */
export type NegotiatedMedia = Omit<MediaSession, 'callId' | 'localAddress' | 'localPort'> & {
  /** the peer holds us (RFC 3264 8.4) */
  remoteHeld: boolean;
};

/** the first audio stream that is not rejected (port 0) */
export function audioStream(sd: SessionDescription): { index: number; media: SdpMedia } | undefined {
  const index = sd.media.findIndex((m) => m.type === 'audio' && m.port !== 0);
  return index < 0 ? undefined : { index, media: sd.media[index]! };
}

function sameCodec(f: RtpFormat, c: MediaCodec): boolean {
  if (f.name.toLowerCase() !== c.name.toLowerCase() || f.clockRate !== c.clockRate) return false;
  if ((f.channels ?? 1) !== (c.channels ?? 1)) return false;
  if (isAmr(f.name) && isOctetAligned(f) !== (c.octetAlign ?? false)) return false;
  return true;
}

/** RFC 4867 8.3.1: the modes both allow (undefined: every mode); null when none is common */
function commonModes(offered: number[] | undefined, ours: number[] | undefined): number[] | undefined | null {
  if (!offered) return ours;
  if (!ours) return offered;
  const both = offered.filter((m) => ours.includes(m));
  return both.length > 0 ? both : null;
}

function ptimeOf(m: SdpMedia): number | undefined {
  const v = m.attributes.find((a) => a.name === 'ptime')?.value;
  const n = v === undefined ? NaN : Number(v);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

/** our direction given what we wrote and what the peer wrote (RFC 3264 6.1) */
function effective(ours: MediaDirection, theirs: MediaDirection): MediaDirection {
  const send = (ours === 'sendrecv' || ours === 'sendonly') && (theirs === 'sendrecv' || theirs === 'recvonly');
  const recv = (ours === 'sendrecv' || ours === 'recvonly') && (theirs === 'sendrecv' || theirs === 'sendonly');
  return send && recv ? 'sendrecv' : send ? 'sendonly' : recv ? 'recvonly' : 'inactive';
}

function remoteEndpoint(sd: SessionDescription, m: SdpMedia): { address: string; port: number } {
  const c = mediaConnection(sd, m);
  if (!c) throw new SdpNegotiationError('the audio stream has no c= line');
  return { address: c.address, port: m.port };
}

export interface AnswerOptions {
  local: LocalMedia;
  /** we hold the call ourselves */
  weHold?: boolean;
  /** preconditions status to write in the answer (the offer had preconditions) */
  qos?: QosStatus;
  askConfirm?: boolean;
  /** keep this codec when the offer still has it (a re-offer during a call) */
  prefer?: MediaCodec;
}

export interface Answer {
  sdp: SessionDescription;
  negotiated: NegotiatedMedia;
  formats: OfferedMedia;
}

/** Answer a peer's offer; throws SdpNegotiationError (→ 488) when nothing is common. */
export function answerOffer(offer: SessionDescription, caps: MediaCapabilities, o: AnswerOptions): Answer {
  const audio = audioStream(offer);
  if (!audio) throw new SdpNegotiationError('the offer has no audio stream');
  const offered = rtpFormats(audio.media);
  let chosen: { f: RtpFormat; codec: MediaCodec } | undefined;
  const candidates = o.prefer ? [o.prefer, ...caps.codecs] : caps.codecs;
  // RFC 3264 6.1: the offerer's order is its preference; IR.92 3.2.1: answer with one speech codec
  const order = o.prefer ? candidates.flatMap((c) => offered.map((f) => ({ f, c }))) : offered.flatMap((f) => candidates.map((c) => ({ f, c })));
  for (const { f, c } of order) {
    if (f.name.toLowerCase() === 'telephone-event' || !sameCodec(f, c)) continue;
    const modes = isAmr(f.name) ? commonModes(modeSetOf(f), c.modeSet) : undefined;
    if (modes === null) continue;
    chosen = { f, codec: { ...c, ...(modes ? { modeSet: modes } : {}) } };
    break;
  }
  if (!chosen) throw new SdpNegotiationError(`no common codec (offered: ${offered.map((f) => `${f.name}/${f.clockRate}`).join(', ') || 'none'})`);
  const te = offered.find((f) => f.name.toLowerCase() === 'telephone-event' && f.clockRate === chosen.f.clockRate && caps.telephoneEventRates.includes(f.clockRate));
  const ptime = caps.ptime ?? DEFAULT_PTIME;
  const offeredDirection = directionOf(offer, audio.media);
  const ourDirection = answerDirection(offeredDirection, o.weHold ?? false);
  const formats: OfferedMedia = {
    formats: [{ payloadType: chosen.f.payloadType, codec: chosen.codec }],
    telephoneEvents: te ? [{ payloadType: te.payloadType, clockRate: te.clockRate }] : [],
  };
  const ours = buildAudioSdp({ local: o.local, media: formats, ptime, maxptime: caps.maxptime, direction: ourDirection, ...(o.qos ? { qos: o.qos } : {}), askConfirm: o.askConfirm ?? false });
  // RFC 3264 6: as many m= lines as the offer, the ones we do not take rejected with port 0
  const ourAudio = ours.media[0]!;
  ours.media = offer.media.map((m, i) => (i === audio.index ? ourAudio : { type: m.type, port: 0, proto: m.proto, formats: m.formats, other: [], bandwidths: [], attributes: [] }));
  const remote = remoteEndpoint(offer, audio.media);
  return {
    sdp: ours,
    formats,
    negotiated: {
      remoteAddress: remote.address,
      remotePort: remote.port,
      codec: { ...chosen.codec, payloadType: chosen.f.payloadType },
      ...(te ? { telephoneEvent: { payloadType: te.payloadType, clockRate: te.clockRate } } : {}),
      ptime: ptimeOf(audio.media) ?? ptime,
      direction: effective(ourDirection, offeredDirection),
      remoteHeld: heldByPeer(offer, audio.media),
    },
  };
}

/** Read the peer's answer to our offer (RFC 3264 6: its payload types are among the ones we offered). */
export function readAnswer(answer: SessionDescription, offered: OfferedMedia, ourDirection: MediaDirection, caps: MediaCapabilities): NegotiatedMedia {
  const audio = audioStream(answer);
  if (!audio) throw new SdpNegotiationError('the answer rejected the audio stream');
  const formats = rtpFormats(audio.media);
  let codec: (MediaCodec & { payloadType: number }) | undefined;
  for (const f of formats) {
    if (f.name.toLowerCase() === 'telephone-event') continue;
    // match by payload type first (RFC 3264 6.1), by name as a fallback for sloppy peers
    const ours = offered.formats.find((x) => x.payloadType === f.payloadType && sameCodec(f, x.codec)) ?? offered.formats.find((x) => sameCodec(f, x.codec));
    if (!ours) continue;
    const modes = isAmr(f.name) ? modeSetOf(f) : undefined;
    codec = { ...ours.codec, ...(modes ? { modeSet: modes } : {}), payloadType: f.payloadType };
    break;
  }
  if (!codec) throw new SdpNegotiationError(`the answer names no codec we offered (${formats.map((f) => `${f.payloadType} ${f.name}/${f.clockRate}`).join(', ') || 'none'})`);
  const te = formats.find((f) => f.name.toLowerCase() === 'telephone-event' && caps.telephoneEventRates.includes(f.clockRate) && f.clockRate === codec.clockRate)
    ?? formats.find((f) => f.name.toLowerCase() === 'telephone-event' && caps.telephoneEventRates.includes(f.clockRate));
  const remote = remoteEndpoint(answer, audio.media);
  const theirs = directionOf(answer, audio.media);
  return {
    remoteAddress: remote.address,
    remotePort: remote.port,
    codec,
    ...(te ? { telephoneEvent: { payloadType: te.payloadType, clockRate: te.clockRate } } : {}),
    ptime: ptimeOf(audio.media) ?? caps.ptime ?? DEFAULT_PTIME,
    direction: effective(ourDirection, theirs),
    // an answer holds us only where our offer wanted to receive (RFC 3264 8.4)
    remoteHeld: (ourDirection === 'sendrecv' || ourDirection === 'recvonly') && heldByPeer(answer, audio.media),
  };
}
