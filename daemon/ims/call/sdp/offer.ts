// The MMTel SDP offer (IR.92 3.2.1-3.2.4, TS 26.114 6.2.2): one audio stream with the codecs the
// media side declares, AMR/AMR-WB bandwidth-efficient and octet-aligned as separate payload
// types, telephone-event per clock rate (RFC 4733), ptime/maxptime (RFC 4867 8.1), b=AS, and the
// qos preconditions (RFC 3312) when asked.
import { isIP } from 'node:net';
import type { MediaCapabilities, MediaCodec, MediaDirection } from '../../../../modem-drivers/driver.js';
import { applicationSpecificKbps } from './bandwidth.js';
import type { SdpAttribute, SessionDescription } from './model.js';
import { preconditionAttributes, type QosStatus } from './preconditions.js';
import { staticPayloadType } from './rtp-formats.js';

export const DEFAULT_PTIME = 20;
export const DEFAULT_MAXPTIME = 240;

export interface LocalMedia {
  address: string;
  port: number;
  /** o= session id (stays for the call) and version (RFC 3264 8: +1 on every new offer/answer that changes) */
  sessionId: string;
  sessionVersion: number;
}

/** A payload type we put in an offer or answer, with the codec behind it. */
export interface OfferedFormat {
  payloadType: number;
  codec: MediaCodec;
}

export interface OfferedMedia {
  formats: OfferedFormat[];
  telephoneEvents: Array<{ payloadType: number; clockRate: number }>;
}

export function addrType(address: string): 'IP4' | 'IP6' {
  return isIP(address) === 6 ? 'IP6' : 'IP4';
}

/** RFC 4867 8.1 / IR.92 3.2.1: the fmtp of one AMR/AMR-WB payload type (other codecs: none) */
export function codecFmtp(c: MediaCodec): string | undefined {
  const n = c.name.toUpperCase();
  if (n !== 'AMR' && n !== 'AMR-WB') return undefined;
  const p: string[] = [];
  if (c.octetAlign) p.push('octet-align=1');
  if (c.modeSet && c.modeSet.length > 0) p.push(`mode-set=${c.modeSet.join(',')}`);
  // TS 26.114 6.2.2.2: no redundancy, mode changes at any frame boundary pair
  p.push('max-red=0', 'mode-change-capability=2');
  return p.join(';');
}

export function rtpmapValue(pt: number, c: MediaCodec): string {
  return `${pt} ${c.name}/${c.clockRate}${c.channels !== undefined ? `/${c.channels}` : (c.name.toUpperCase().startsWith('AMR') ? '/1' : '')}`;
}

/** Give each codec a payload type: static where RFC 3551 has one, else 96 upwards. */
export function assignPayloadTypes(caps: MediaCapabilities): OfferedMedia {
  let next = 96;
  const formats = caps.codecs.map((codec) => ({ payloadType: staticPayloadType(codec.name, codec.clockRate) ?? next++, codec }));
  const telephoneEvents = caps.telephoneEventRates.map((clockRate) => ({ payloadType: next++, clockRate }));
  return { formats, telephoneEvents };
}

export function audioAttributes(media: OfferedMedia, ptime: number, maxptime: number | undefined): SdpAttribute[] {
  const attrs: SdpAttribute[] = [];
  for (const f of media.formats) {
    attrs.push({ name: 'rtpmap', value: rtpmapValue(f.payloadType, f.codec) });
    const fmtp = codecFmtp(f.codec);
    if (fmtp !== undefined) attrs.push({ name: 'fmtp', value: `${f.payloadType} ${fmtp}` });
  }
  for (const t of media.telephoneEvents) {
    attrs.push({ name: 'rtpmap', value: `${t.payloadType} telephone-event/${t.clockRate}` });
    attrs.push({ name: 'fmtp', value: `${t.payloadType} 0-15` });
  }
  attrs.push({ name: 'ptime', value: String(ptime) });
  if (maxptime !== undefined) attrs.push({ name: 'maxptime', value: String(maxptime) });
  return attrs;
}

export interface SdpBuild {
  local: LocalMedia;
  media: OfferedMedia;
  ptime: number;
  maxptime?: number;
  direction: MediaDirection;
  /** qos precondition status to write (undefined: no preconditions) */
  qos?: QosStatus;
  askConfirm?: boolean;
}

/** One audio stream from our side (an offer, or an answer once the formats are chosen). */
export function buildAudioSdp(b: SdpBuild): SessionDescription {
  const at = addrType(b.local.address);
  const codecs = b.media.formats.map((f) => f.codec);
  const as = codecs.length > 0 ? Math.max(...codecs.map((c) => applicationSpecificKbps(c, b.ptime, at === 'IP6'))) : 0;
  const attrs = audioAttributes(b.media, b.ptime, b.maxptime);
  if (b.qos) attrs.push(...preconditionAttributes(b.qos, { askConfirm: b.askConfirm ?? false }));
  attrs.push({ name: b.direction });
  return {
    version: 0,
    origin: { username: '-', sessionId: b.local.sessionId, sessionVersion: b.local.sessionVersion, netType: 'IN', addrType: at, address: b.local.address },
    name: '-',
    connection: { netType: 'IN', addrType: at, address: b.local.address },
    bandwidths: [],
    timing: [['t', '0 0']],
    other: [],
    attributes: [],
    media: [
      {
        type: 'audio',
        port: b.local.port,
        proto: 'RTP/AVP',
        formats: [...b.media.formats.map((f) => String(f.payloadType)), ...b.media.telephoneEvents.map((t) => String(t.payloadType))],
        other: [],
        bandwidths: as > 0 ? [{ type: 'AS', value: as }] : [],
        attributes: attrs,
      },
    ],
  };
}

/** The initial MMTel offer from what the media side declares. */
export function buildOffer(caps: MediaCapabilities, local: LocalMedia, qos?: QosStatus, direction: MediaDirection = 'sendrecv'): { sdp: SessionDescription; media: OfferedMedia } {
  const media = assignPayloadTypes(caps);
  const sdp = buildAudioSdp({ local, media, ptime: caps.ptime ?? DEFAULT_PTIME, maxptime: caps.maxptime ?? DEFAULT_MAXPTIME, direction, ...(qos ? { qos } : {}) });
  return { sdp, media };
}
