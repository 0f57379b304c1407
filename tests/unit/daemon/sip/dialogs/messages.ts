// Test helpers: SIP messages written as text, the way they travel, and parsed by the real parser.
import { parseMessage } from '../../../../../daemon/sip/parser.js';
import { SipRequest, SipResponse } from '../../../../../daemon/sip/message.js';
import { parseNameAddr, type NameAddr } from '../../../../../daemon/sip/header-values.js';
import { createResponse } from '../../../../../daemon/sip/response.js';

export function request(lines: string[], body = ''): SipRequest {
  const m = parseMessage([...lines, `Content-Length: ${Buffer.byteLength(body)}`, '', body].join('\r\n'));
  if (!(m instanceof SipRequest)) throw new Error('not a request');
  return m;
}

export function response(lines: string[], body = ''): SipResponse {
  const m = parseMessage([...lines, `Content-Length: ${Buffer.byteLength(body)}`, '', body].join('\r\n'));
  if (!(m instanceof SipResponse)) throw new Error('not a response');
  return m;
}

export const na = (s: string): NameAddr => parseNameAddr(s);

export const ALICE_CONTACT = na('<sip:alice@192.0.2.10:5060>');

/** An INVITE as Alice's UA sends it (From tag "a1", CSeq 10) through a proxy that will Record-Route. */
export function aliceInvite(extra: string[] = [], body = ''): SipRequest {
  return request(
    [
      'INVITE sip:bob@example.com SIP/2.0',
      'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-inv1',
      'Max-Forwards: 70',
      'From: "Alice" <sip:alice@example.com>;tag=a1',
      'To: <sip:bob@example.com>',
      'Call-ID: call-1@192.0.2.10',
      'CSeq: 10 INVITE',
      'Contact: <sip:alice@192.0.2.10:5060>',
      ...extra,
    ],
    body,
  );
}

/** A response from Bob's side: given status, To tag, Contact and Record-Route (as the proxies put them). */
export function bobResponse(req: SipRequest, status: number, toTag: string, extra: string[] = [], body = ''): SipResponse {
  const r = createResponse(req, status, { toTag });
  const lines = [`SIP/2.0 ${status} ${r.reason}`];
  for (const f of r.headers) lines.push(`${f.name}: ${f.value}`);
  return response([...lines, ...extra], body);
}

/** The request text of a message as a list of "Name: value" lines (for readable assertions). */
export function headerLines(m: SipRequest | SipResponse): string[] {
  return [...m.headers].map((f) => `${f.name}: ${f.value}`);
}
