// b=AS for a speech codec (RFC 4566 5.8, TS 26.114 6.2.5): the largest RTP payload at the packet
// time plus the IP/UDP/RTP headers, in kbit/s rounded up. AMR-WB 23.85 kbit/s over IPv4 at 20 ms
// gives 41, over IPv6 49 (TS 26.114 table 6.4 lists the same figures).
import type { MediaCodec } from '../../../../modem-drivers/driver.js';

/** RFC 4867 table 1 / TS 26.201: speech bits per 20 ms frame, by mode */
const AMR_BITS = [95, 103, 118, 134, 148, 159, 204, 244];
const AMR_WB_BITS = [132, 177, 253, 285, 317, 365, 397, 461, 477];

/** RTP payload bytes of one packet holding `ptime` ms of the codec at its highest allowed mode */
export function payloadBytes(codec: MediaCodec, ptime: number): number {
  const name = codec.name.toUpperCase();
  if (name === 'AMR' || name === 'AMR-WB') {
    const table = name === 'AMR' ? AMR_BITS : AMR_WB_BITS;
    const modes = codec.modeSet && codec.modeSet.length > 0 ? codec.modeSet : table.map((_, i) => i);
    const bits = Math.max(...modes.map((m) => table[m] ?? 0));
    const frames = Math.max(1, Math.round(ptime / 20));
    // RFC 4867 4.4 (bandwidth-efficient: 4-bit CMR, 6-bit TOC per frame, padded once) and 4.4 octet-aligned (CMR byte, TOC byte per frame, each frame padded)
    return codec.octetAlign ? 1 + frames * (1 + Math.ceil(bits / 8)) : Math.ceil((4 + frames * (6 + bits)) / 8);
  }
  if (name === 'PCMU' || name === 'PCMA') return (codec.clockRate / 1000) * ptime;
  if (name === 'G722') return 8 * ptime;
  return (codec.clockRate / 1000) * ptime * 2;
}

export function applicationSpecificKbps(codec: MediaCodec, ptime: number, ipv6: boolean): number {
  const headers = (ipv6 ? 40 : 20) + 8 + 12;
  return Math.ceil(((payloadBytes(codec, ptime) + headers) * 8 * (1000 / ptime)) / 1000);
}
