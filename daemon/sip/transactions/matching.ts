// Transaction keys: RFC 3261 17.1.3 (responses to client transactions) and 17.2.3 (requests
// to server transactions, with the RFC 2543 fallback for branches without the magic cookie).
import type { SipRequest, SipResponse } from '../message.js';
import { formatUri } from '../uri.js';
import { formatVia } from '../header-values.js';
import { isRfc3261Branch } from './branch.js';

/** Client transactions are keyed by the branch they sent and the CSeq method. */
export function clientKey(branch: string, method: string): string {
  return `${branch}\n${method}`;
}

/**
 * RFC 3261 17.1.3: a response matches when its top Via branch equals the request's and its
 * CSeq method equals the request's method (so a CANCEL's 200 does not match the INVITE).
 * Throws SipParseError when the response has no usable Via or CSeq.
 */
export function responseKey(res: SipResponse): string | undefined {
  const branch = res.topVia.params.get('branch');
  if (typeof branch !== 'string' || branch === '') return undefined;
  return clientKey(branch, res.cseq.method);
}

/**
 * RFC 3261 17.2.3: branch (case-sensitive) + sent-by + method, where ACK matches INVITE. With
 * `asMethod` the key of another method with the same branch is computed (CANCEL → its INVITE,
 * RFC 3261 9.2). Without the magic cookie (RFC 2543 peers) the key is built from Request-URI,
 * From tag, Call-ID, CSeq number and the whole top Via (To tag left out so that the ACK, whose
 * To carries our tag, still matches its INVITE). Throws SipParseError on malformed headers.
 */
export function requestKey(req: SipRequest, asMethod?: string): string {
  const via = req.topVia;
  const method = asMethod ?? (req.method === 'ACK' ? 'INVITE' : req.method);
  const branch = via.params.get('branch');
  if (isRfc3261Branch(branch)) {
    const sentBy = `${via.host.toLowerCase()}:${via.port ?? ''}`;
    return `${branch}\n${sentBy}\n${method}`;
  }
  return ['2543', formatUri(req.uri), req.fromTag ?? '', req.callId, String(req.cseq.seq), formatVia(via), method].join('\n');
}
