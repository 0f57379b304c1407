// ITU-T G.711 companding of 16-bit linear PCM: mu-law (PCMU, RTP payload type 0) and A-law (PCMA,
// payload type 8), RFC 3551 4.5.14. The segment/quantisation steps are the Recommendation's.

const MU_BIAS = 0x84;
const MU_CLIP = 32635;

export function linearToMuLaw(sample: number): number {
  let s = Math.max(-32768, Math.min(32767, Math.round(sample)));
  const sign = s < 0 ? 0x80 : 0;
  if (s < 0) s = -s;
  s = Math.min(s, MU_CLIP) + MU_BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (s & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (s >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

export function muLawToLinear(code: number): number {
  const u = ~code & 0xff;
  const exponent = (u >> 4) & 0x07;
  const magnitude = ((((u & 0x0f) << 3) + MU_BIAS) << exponent) - MU_BIAS;
  return u & 0x80 ? 0 - magnitude : magnitude;
}

export function linearToALaw(sample: number): number {
  let s = Math.max(-32768, Math.min(32767, Math.round(sample)));
  const sign = s >= 0 ? 0x80 : 0;
  if (s < 0) s = -s - 1;
  s >>= 3; // 13-bit magnitude
  let code: number;
  if (s < 32) code = s >> 1;
  else {
    let exponent = 1;
    while (s >= 64 << (exponent - 1) && exponent < 7) exponent++;
    code = (exponent << 4) | ((s >> exponent) & 0x0f);
  }
  return (code | sign) ^ 0x55;
}

export function aLawToLinear(code: number): number {
  const a = code ^ 0x55;
  const exponent = (a >> 4) & 0x07;
  const mantissa = a & 0x0f;
  const magnitude = exponent === 0 ? (mantissa << 4) + 8 : ((mantissa << 4) + 0x108) << (exponent - 1);
  return a & 0x80 ? magnitude : -magnitude;
}

export type G711Law = 'PCMU' | 'PCMA';

export function encodeG711(law: G711Law, samples: Int16Array): Buffer {
  const out = Buffer.alloc(samples.length);
  const f = law === 'PCMU' ? linearToMuLaw : linearToALaw;
  for (let i = 0; i < samples.length; i++) out[i] = f(samples[i]!);
  return out;
}

export function decodeG711(law: G711Law, payload: Buffer): Int16Array {
  const out = new Int16Array(payload.length);
  const f = law === 'PCMU' ? muLawToLinear : aLawToLinear;
  for (let i = 0; i < payload.length; i++) out[i] = f(payload[i]!);
  return out;
}
