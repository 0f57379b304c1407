// Policy messages: XFRM_MSG_NEWPOLICY (xfrm_userpolicy_info + XFRMA_TMPL), XFRM_MSG_DELPOLICY
// (xfrm_userpolicy_id), the XFRM_MSG_GETPOLICY dump, and parsing a dumped policy.
// Byte for byte what iproute2's `ip xfrm policy add|delete|deleteall` sends (tests/fixtures/xfrm/).
import { encodeAddress } from './address.js';
import {
  AF_INET, IPPROTO_ESP, NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST, USER_TMPL_LEN, USERPOLICY_ID_LEN, USERPOLICY_INFO_LEN,
  XFRM_MODE_TRANSPORT, XFRM_MSG_DELPOLICY, XFRM_MSG_GETPOLICY, XFRM_MSG_NEWPOLICY, XFRM_POLICY_ALLOW, XFRM_POLICY_IN,
  XFRM_POLICY_OUT, XFRMA_TMPL,
} from './constants.js';
import { buildAttribute, buildMessage, parseAttributes, type NetlinkMessage } from './netlink.js';
import { decodeSelector, encodeSelector, type DecodedSelector, type Selector } from './selector.js';
import { infiniteLifetime } from './state.js';
import { decodeAddress } from './address.js';

export type PolicyDirection = 'in' | 'out';

export interface PolicyId {
  selector: Selector;
  dir: PolicyDirection;
}

export interface NewPolicy extends PolicyId {
  /** the ESP transport-mode template: the SA's addresses and reqid */
  tmpl: { src: string; dst: string; reqid: number };
}

const dirNumber = (d: PolicyDirection): number => (d === 'in' ? XFRM_POLICY_IN : XFRM_POLICY_OUT);

/** struct xfrm_user_tmpl, as iproute2 fills it: any algorithm (aalgos/ealgos/calgos all ones) */
function template(t: NewPolicy['tmpl']): Buffer {
  const dst = encodeAddress(t.dst);
  const src = encodeAddress(t.src);
  const b = Buffer.alloc(USER_TMPL_LEN);
  dst.bytes.copy(b, 0); // id.daddr; id.spi 0: any SA
  b.writeUInt8(IPPROTO_ESP, 20);
  b.writeUInt16LE(dst.family, 24);
  src.bytes.copy(b, 28);
  b.writeUInt32LE(t.reqid >>> 0, 44);
  b.writeUInt8(XFRM_MODE_TRANSPORT, 48);
  b.writeUInt32LE(0xffffffff, 52);
  b.writeUInt32LE(0xffffffff, 56);
  b.writeUInt32LE(0xffffffff, 60);
  return b;
}

export function buildNewPolicy(p: NewPolicy, seq: number): Buffer {
  const info = Buffer.alloc(USERPOLICY_INFO_LEN);
  encodeSelector(p.selector).copy(info, 0);
  infiniteLifetime().copy(info, 56); // lft; curlft (120) zero
  // priority 152 = 0, index 156 = 0 (the kernel picks), dir 160, action 161, flags 162, share 163
  info.writeUInt8(dirNumber(p.dir), 160);
  info.writeUInt8(XFRM_POLICY_ALLOW, 161);
  return buildMessage(XFRM_MSG_NEWPOLICY, NLM_F_REQUEST | NLM_F_ACK, seq, [info, buildAttribute(XFRMA_TMPL, template(p.tmpl))]);
}

export function buildDelPolicy(p: PolicyId, seq: number): Buffer {
  const id = Buffer.alloc(USERPOLICY_ID_LEN);
  encodeSelector(p.selector).copy(id, 0);
  id.writeUInt8(dirNumber(p.dir), 60); // index 56 = 0: by selector
  return buildMessage(XFRM_MSG_DELPOLICY, NLM_F_REQUEST | NLM_F_ACK, seq, [id]);
}

/** Dump of every policy (as `ip xfrm policy deleteall` asks first). */
export function buildPolicyDump(seq: number): Buffer {
  return buildMessage(XFRM_MSG_GETPOLICY, NLM_F_REQUEST | NLM_F_DUMP, seq, []);
}

export interface DumpedPolicy {
  selector: DecodedSelector;
  /** 0 in, 1 out, 2 fwd */
  dirNumber: number;
  dir?: PolicyDirection;
  index: number;
  /** the templates' reqids (transport-mode ESP policies have one) */
  tmpls: { src: string; dst: string; reqid: number; proto: number }[];
}

export function parsePolicy(msg: NetlinkMessage): DumpedPolicy {
  const p = msg.payload;
  if (msg.type !== XFRM_MSG_NEWPOLICY || p.length < USERPOLICY_INFO_LEN) throw new RangeError(`not a policy (type ${msg.type}, ${p.length} bytes)`);
  const d = p.readUInt8(160);
  const attrs = parseAttributes(p.subarray(USERPOLICY_INFO_LEN));
  const t = attrs.get(XFRMA_TMPL) ?? Buffer.alloc(0);
  const tmpls: DumpedPolicy['tmpls'] = [];
  for (let off = 0; off + USER_TMPL_LEN <= t.length; off += USER_TMPL_LEN) {
    const family = t.readUInt16LE(off + 24);
    tmpls.push({
      dst: decodeAddress(t.subarray(off, off + 16), family),
      proto: t.readUInt8(off + 20),
      src: decodeAddress(t.subarray(off + 28, off + 44), family),
      reqid: t.readUInt32LE(off + 44),
    });
  }
  return {
    selector: decodeSelector(p.subarray(0, 56)),
    dirNumber: d,
    dir: d === XFRM_POLICY_IN ? 'in' : d === XFRM_POLICY_OUT ? 'out' : undefined,
    index: p.readUInt32LE(156),
    tmpls,
  };
}

/** XFRM_MSG_DELPOLICY by the index the kernel gave the policy (as found in a dump). */
export function buildDelPolicyByIndex(index: number, dirNumber: number, seq: number): Buffer {
  const id = Buffer.alloc(USERPOLICY_ID_LEN);
  id.writeUInt16LE(AF_INET, 40); // selector unused with an index; iproute2 leaves its default family there
  id.writeUInt32LE(index >>> 0, 56);
  id.writeUInt8(dirNumber, 60);
  return buildMessage(XFRM_MSG_DELPOLICY, NLM_F_REQUEST | NLM_F_ACK, seq, [id]);
}
