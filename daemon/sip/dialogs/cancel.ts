// RFC 3261 9.1: CANCEL is built from the request it cancels: same Request-URI, Call-ID, To, From,
// CSeq number (method CANCEL), only its top Via (same branch) and the same Route header fields.
import { Headers } from '../headers.js';
import { SipRequest } from '../message.js';
import { cloneUri } from '../uri.js';
import { DialogStateError } from './errors.js';

export function createCancel(request: SipRequest): SipRequest {
  if (request.method === 'ACK') throw new DialogStateError('an ACK cannot be cancelled');
  const h = new Headers();
  const topVia = request.headers.getAll('Via')[0];
  if (topVia === undefined) throw new DialogStateError('the request to cancel has not been sent (no Via)');
  h.append('Via', topVia);
  for (const r of request.headers.getFields('Route')) h.append('Route', r);
  h.append('Max-Forwards', 70);
  for (const n of ['From', 'To', 'Call-ID']) {
    const v = request.headers.get(n);
    if (v !== undefined) h.append(n, v);
  }
  const cancel = new SipRequest('CANCEL', cloneUri(request.uri), h);
  cancel.cseq = { seq: request.cseq.seq, method: 'CANCEL' };
  return cancel;
}
