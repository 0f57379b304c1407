// TS 24.229 5.1.2A.1.1 (and 5.1.1.2.1 for REGISTER): the UE puts P-Access-Network-Info in every
// request it sends except ACK and CANCEL, and in every response within a dialog except responses
// to CANCEL, whenever it knows the access network (7.2A.4: the value the modem driver reports).
// A message that already has the header (the REGISTER built by the registration machine) is left
// as it is; a retransmission is the same object, so it is stamped once.
import { SipRequest, type SipMessage, type SipResponse } from '../sip/message.js';

export function stampAccessNetworkInfo(msg: SipMessage, value: string | undefined): void {
  if (value === undefined || msg.headers.has('P-Access-Network-Info')) return;
  if (msg instanceof SipRequest) {
    if (msg.method === 'ACK' || msg.method === 'CANCEL') return;
  } else {
    const res = msg as SipResponse;
    // 100 Trying is hop by hop and not within a dialog (RFC 3261 8.2.6.1)
    if (res.status === 100 || msg.cseq.method === 'CANCEL') return;
  }
  msg.headers.append('P-Access-Network-Info', value);
}
