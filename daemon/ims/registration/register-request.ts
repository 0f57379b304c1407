// Building REGISTER requests as TS 24.229 5.1.1.2.1 / 5.1.1.4.1 / 5.1.1.6 describe them, and the
// sec-agree headers every request over the security associations carries (5.1.2A.1.1).
import { createInitialRequest } from '../../sip/dialogs/request-factory.js';
import { parseNameAddr, type NameAddr } from '../../sip/header-values.js';
import type { SipRequest } from '../../sip/message.js';
import { parseUri } from '../../sip/uri.js';

/** TS 24.229 7.2A.8 / TS 24.173: the MMTel ICSI as a Contact feature tag (percent-encoded URN). */
export const MMTEL_ICSI_FEATURE = '+g.3gpp.icsi-ref="urn%3Aurn-7%3A3gpp-service.ims.icsi.mmtel"';

export interface RegisterParts {
  homeDomain: string;
  impu: string;
  callId: string;
  fromTag: string;
  cseq: number;
  /** Contact address and port (the protected server port with sec-agree) */
  contactHost: string;
  contactPort: number;
  instanceId: string;
  expires: number;
  authorization: string;
  secAgree: boolean;
  securityClient?: string[];
  securityVerify?: string[];
  accessNetworkInfo?: string;
  userAgent?: string;
}

export function hostForUri(address: string): string {
  return address.includes(':') && !address.startsWith('[') ? `[${address}]` : address;
}

export function contactOf(host: string, port: number, instanceId: string, expires?: number): NameAddr {
  const exp = expires !== undefined ? `;expires=${expires}` : '';
  return parseNameAddr(`<sip:${hostForUri(host)}:${port}>;+sip.instance="<${instanceId}>";${MMTEL_ICSI_FEATURE}${exp}`, 'Contact');
}

export function buildRegister(p: RegisterParts): SipRequest {
  const aor = parseNameAddr(`<${p.impu}>`, 'IMPU');
  const headers: Array<[string, string | number]> = [['Expires', p.expires]];
  // TS 24.229 5.1.1.2.1: Supported path and sec-agree; Require and Proxy-Require sec-agree
  headers.push(['Supported', p.secAgree ? 'path, sec-agree' : 'path']);
  if (p.secAgree) {
    headers.push(['Require', 'sec-agree'], ['Proxy-Require', 'sec-agree']);
    // one field per mechanism: some P-CSCFs read one mechanism per field
    for (const v of p.securityClient ?? []) headers.push(['Security-Client', v]);
    for (const v of p.securityVerify ?? []) headers.push(['Security-Verify', v]);
  }
  headers.push(['Authorization', p.authorization]);
  if (p.accessNetworkInfo !== undefined) headers.push(['P-Access-Network-Info', p.accessNetworkInfo]);
  if (p.userAgent !== undefined) headers.push(['User-Agent', p.userAgent]);
  return createInitialRequest({
    method: 'REGISTER',
    uri: parseUri(`sip:${p.homeDomain}`, 'home domain'),
    from: aor,
    to: aor,
    callId: p.callId,
    fromTag: p.fromTag,
    cseq: p.cseq,
    contact: contactOf(p.contactHost, p.contactPort, p.instanceId, p.expires),
    headers,
  });
}

/** TS 24.229 5.1.1.2.1: the initial REGISTER's Authorization: IMPI, empty nonce and response. */
export function initialAuthorization(impi: string, homeDomain: string): string {
  return `Digest username="${impi}",realm="${homeDomain}",uri="sip:${homeDomain}",nonce="",response=""`;
}

/** Every URI of a list of name-addr header values (P-Associated-URI, Service-Route). */
export function uris(values: string[]): string[] {
  return values.map((v) => v.trim().replace(/^[^<]*<([^>]*)>.*$/, '$1'));
}
