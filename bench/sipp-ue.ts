// SIPp as a second UE in the bench lab: its subscriber entry and its AKA registration scenario.
// SIPp takes aka_K/aka_OP/aka_AMF byte for byte, so its keys are printable strings; the HSS gets
// their hex and OPc computed from OP (TS 35.206 4.1).
import { computeOpc } from '../daemon/auth/milenage.js';
import type { Subscriber } from '../lab/options.js';

export interface SippUe {
  imsi: string;
  /** printable, 16 characters (SIPp's aka_K) */
  k: string;
  /** printable, 16 characters (SIPp's aka_OP) */
  op: string;
  /** printable, 2 characters (SIPp's aka_AMF) */
  amf: string;
}

/** the HSS entry for `ue` (for lab/core/subscribers.ts addSubscriber) */
export function sippSubscriber(ue: SippUe, msisdn: string): Subscriber {
  const k = Buffer.from(ue.k);
  return { imsi: ue.imsi, k: k.toString('hex'), opc: computeOpc(k, Buffer.from(ue.op)).toString('hex'), amf: Buffer.from(ue.amf).toString('hex'), msisdn };
}

export interface RegisterScenarioOptions {
  /** the scenario's name attribute */
  name: string;
  /** put in the From tag ([pid]<tag>[call_number]) so that each scenario's dialogs are told apart */
  tag: string;
  /** appended to the Contact header after expires (e.g. the MMTel ICSI feature tag) */
  contactParams?: string;
}

/** REGISTER → 401 → REGISTER with SIPp's own AKA response → 200 (TS 24.229 5.1.1.2, 5.1.1.5.1) */
export function sippRegisterScenario(domain: string, ue: SippUe, opts: RegisterScenarioOptions): string {
  const { imsi, k, op, amf } = ue;
  const reg = (cseq: number, auth: string): string => `  <send retrans="500">
    <![CDATA[
      REGISTER sip:${domain} SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      Max-Forwards: 70
      From: <sip:${imsi}@${domain}>;tag=[pid]${opts.tag}[call_number]
      To: <sip:${imsi}@${domain}>
      Call-ID: [call_id]
      CSeq: ${cseq} REGISTER
      Contact: <sip:${imsi}@[local_ip]:[local_port]>;expires=600000${opts.contactParams ?? ''}
      ${auth}
      Supported: path
      Expires: 600000
      Content-Length: 0

    ]]>
  </send>
  <recv response="100" optional="true"/>`;
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="${opts.name}">
${reg(1, `Authorization: Digest username="${imsi}@${domain}",realm="${domain}",nonce="",uri="sip:${domain}",response=""`)}
  <recv response="401" auth="true"/>
${reg(2, `[authentication username=${imsi}@${domain} aka_K=${k} aka_OP=${op} aka_AMF=${amf}]`)}
  <recv response="200"/>
</scenario>
`;
}
