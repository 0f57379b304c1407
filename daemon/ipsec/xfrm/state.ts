// SA messages: XFRM_MSG_NEWSA (xfrm_usersa_info + XFRMA_ALG_AUTH_TRUNC + XFRMA_ALG_CRYPT),
// XFRM_MSG_DELSA (xfrm_usersa_id + XFRMA_SRCADDR), the XFRM_MSG_GETSA dump, and parsing a dumped SA.
// Byte for byte what iproute2's `ip xfrm state add|delete|deleteall` sends (tests/fixtures/xfrm/).
import { decodeAddress, encodeAddress } from './address.js';
import {
  ALG_NAME_LEN, IPPROTO_ESP, NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST, USERSA_ID_LEN, USERSA_INFO_LEN, XFRM_INF,
  XFRM_MODE_TRANSPORT, XFRM_MSG_DELSA, XFRM_MSG_GETSA, XFRM_MSG_NEWSA, XFRMA_ALG_AUTH_TRUNC, XFRMA_ALG_CRYPT, XFRMA_SRCADDR,
} from './constants.js';
import { buildAttribute, buildMessage, parseAttributes, type NetlinkMessage } from './netlink.js';
import { decodeSelector, encodeSelector, type Selector } from './selector.js';

export interface SaId {
  src: string;
  dst: string;
  spi: number;
}

export interface NewSa extends SaId {
  reqid: number;
  /** kernel name, e.g. "hmac(sha1)" */
  authName: string;
  authKey: Buffer;
  authTruncBits: number;
  /** kernel name, e.g. "cbc(aes)", "ecb(cipher_null)" */
  encName: string;
  encKey: Buffer;
  /** the SA's selector; none: all zero (any traffic the policy hands it) */
  selector?: Selector;
  /** anti-replay window in packets (RFC 4303 3.4.3); 0, iproute2's default, turns the check off */
  replayWindow?: number;
}

function algName(name: string): Buffer {
  const b = Buffer.alloc(ALG_NAME_LEN);
  if (Buffer.byteLength(name) >= ALG_NAME_LEN) throw new RangeError('algorithm name too long');
  b.write(name, 'latin1');
  return b;
}

/** struct xfrm_algo_auth: alg_name[64], alg_key_len (bits), alg_trunc_len (bits), key */
function authTrunc(name: string, key: Buffer, truncBits: number): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt32LE(key.length * 8, 0);
  h.writeUInt32LE(truncBits, 4);
  return buildAttribute(XFRMA_ALG_AUTH_TRUNC, Buffer.concat([algName(name), h, key]));
}

/** struct xfrm_algo: alg_name[64], alg_key_len (bits), key */
function crypt(name: string, key: Buffer): Buffer {
  const h = Buffer.alloc(4);
  h.writeUInt32LE(key.length * 8, 0);
  return buildAttribute(XFRMA_ALG_CRYPT, Buffer.concat([algName(name), h, key]));
}

/** struct xfrm_lifetime_cfg with byte and packet limits infinite, no time limits (iproute2's default) */
export function infiniteLifetime(): Buffer {
  const b = Buffer.alloc(64);
  for (let i = 0; i < 4; i++) b.writeBigUInt64LE(XFRM_INF, i * 8);
  return b;
}

export function buildNewSa(sa: NewSa, seq: number): Buffer {
  const dst = encodeAddress(sa.dst);
  const src = encodeAddress(sa.src);
  if (dst.family !== src.family) throw new RangeError('SA source and destination are of different families');
  const info = Buffer.alloc(USERSA_INFO_LEN);
  encodeSelector(sa.selector).copy(info, 0);
  // xfrm_id at 56: daddr, spi (network order), proto
  dst.bytes.copy(info, 56);
  info.writeUInt32BE(sa.spi >>> 0, 72);
  info.writeUInt8(IPPROTO_ESP, 76);
  src.bytes.copy(info, 80); // saddr
  infiniteLifetime().copy(info, 96); // lft; curlft (160) and stats (192) zero
  // seq 204 = 0, reqid 208, family 212, mode 214, replay_window 215, flags 216
  info.writeUInt32LE(sa.reqid >>> 0, 208);
  info.writeUInt16LE(dst.family, 212);
  info.writeUInt8(XFRM_MODE_TRANSPORT, 214);
  info.writeUInt8(sa.replayWindow ?? 0, 215);
  return buildMessage(XFRM_MSG_NEWSA, NLM_F_REQUEST | NLM_F_ACK, seq, [
    info, authTrunc(sa.authName, sa.authKey, sa.authTruncBits), crypt(sa.encName, sa.encKey),
  ]);
}

export function buildDelSa(sa: SaId, seq: number): Buffer {
  const dst = encodeAddress(sa.dst);
  const src = encodeAddress(sa.src);
  const id = Buffer.alloc(USERSA_ID_LEN);
  dst.bytes.copy(id, 0);
  id.writeUInt32BE(sa.spi >>> 0, 16);
  id.writeUInt16LE(dst.family, 20);
  id.writeUInt8(IPPROTO_ESP, 22);
  return buildMessage(XFRM_MSG_DELSA, NLM_F_REQUEST | NLM_F_ACK, seq, [id, buildAttribute(XFRMA_SRCADDR, src.bytes)]);
}

/** Dump of every SA (as `ip xfrm state deleteall` asks first). */
export function buildSaDump(seq: number): Buffer {
  return buildMessage(XFRM_MSG_GETSA, NLM_F_REQUEST | NLM_F_DUMP, seq, []);
}

/** What we read back from a dumped SA (XFRM_MSG_NEWSA): no keys are kept. */
export interface DumpedSa extends SaId {
  proto: number;
  reqid: number;
  mode: number;
  replayWindow: number;
  family: number;
  authName?: string;
  encName?: string;
  selector: ReturnType<typeof decodeSelector>;
}

export function parseSa(msg: NetlinkMessage): DumpedSa {
  const p = msg.payload;
  if (msg.type !== XFRM_MSG_NEWSA || p.length < USERSA_INFO_LEN) throw new RangeError(`not an SA (type ${msg.type}, ${p.length} bytes)`);
  const family = p.readUInt16LE(212);
  const attrs = parseAttributes(p.subarray(USERSA_INFO_LEN));
  const name = (t: number): string | undefined => {
    const v = attrs.get(t);
    return v ? v.subarray(0, ALG_NAME_LEN).toString('latin1').replace(/\0.*$/s, '') : undefined;
  };
  return {
    dst: decodeAddress(p.subarray(56, 72), family),
    spi: p.readUInt32BE(72),
    proto: p.readUInt8(76),
    src: decodeAddress(p.subarray(80, 96), family),
    reqid: p.readUInt32LE(208),
    family,
    mode: p.readUInt8(214),
    replayWindow: p.readUInt8(215),
    authName: name(XFRMA_ALG_AUTH_TRUNC),
    encName: name(XFRMA_ALG_CRYPT),
    selector: decodeSelector(p.subarray(0, 56)),
  };
}
