// Requests the transaction layer builds itself: the ACK for a non-2xx final response
// (RFC 3261 17.1.1.3) and the CANCEL of a pending INVITE (RFC 3261 9.1).
import { Headers } from '../headers.js';
import { SipRequest, type SipResponse } from '../message.js';
import { cloneUri } from '../uri.js';

function copyCommon(invite: SipRequest, h: Headers): void {
  // the single Via is the top Via of the original request, with the same branch
  const topVia = invite.headers.getAll('Via')[0];
  if (topVia !== undefined) h.append('Via', topVia);
  for (const r of invite.headers.getFields('Route')) h.append('Route', r);
  h.append('Max-Forwards', invite.headers.get('Max-Forwards') ?? '70');
}

/**
 * RFC 3261 17.1.1.3: Request-URI, Call-ID, From, CSeq number and Route as in the INVITE, To as
 * in the response (it carries the tag), one Via equal to the INVITE's top Via, CSeq method ACK.
 */
export function buildNon2xxAck(invite: SipRequest, response: SipResponse): SipRequest {
  const h = new Headers();
  copyCommon(invite, h);
  h.append('From', invite.headers.get('From') ?? '');
  h.append('To', response.headers.get('To') ?? invite.headers.get('To') ?? '');
  h.append('Call-ID', invite.headers.get('Call-ID') ?? '');
  h.append('CSeq', `${invite.cseq.seq} ACK`);
  return new SipRequest('ACK', cloneUri(invite.uri), h);
}

/**
 * RFC 3261 9.1: Request-URI, Call-ID, To, From, CSeq number and Route as in the request being
 * cancelled, one Via equal to its top Via (same branch), CSeq method CANCEL.
 */
export function buildCancel(invite: SipRequest, extraHeaders: Array<[string, string]> = []): SipRequest {
  const h = new Headers();
  copyCommon(invite, h);
  for (const n of ['From', 'To', 'Call-ID']) h.append(n, invite.headers.get(n) ?? '');
  h.append('CSeq', `${invite.cseq.seq} CANCEL`);
  for (const [n, v] of extraHeaders) h.append(n, v);
  return new SipRequest('CANCEL', cloneUri(invite.uri), h);
}
