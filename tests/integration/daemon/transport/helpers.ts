// Shared bits for the transport tests: requests built with the message model, waiting for events.
import { once } from 'node:events';
import { parseMessage } from '../../../../daemon/sip/parser.js';
import type { SipRequest } from '../../../../daemon/sip/message.js';
import type { SipTransport } from '../../../../daemon/transport/sip-transport.js';
import type { Received } from '../../../../daemon/transport/transport.js';

export const hostOf = (addr: string): string => (addr.includes(':') ? `[${addr}]` : addr);

export function request(method: string, target: string, from: { address: string; port: number }, cseq: number, opts: { callId?: string; transport?: string; extra?: string[] } = {}): SipRequest {
  const h = hostOf(from.address);
  return parseMessage(
    [
      `${method} sip:${target} SIP/2.0`,
      `Via: SIP/2.0/${opts.transport ?? 'UDP'} ${h}:${from.port};branch=z9hG4bK-${method}-${cseq};rport`,
      'Max-Forwards: 70',
      `From: <sip:imsd@${h}>;tag=imsd${cseq}`,
      `To: <sip:${target}>`,
      `Call-ID: ${opts.callId ?? `imsd-test-${method}`}@${h}`,
      `CSeq: ${cseq} ${method}`,
      `Contact: <sip:imsd@${h}:${from.port}>`,
      ...(opts.extra ?? []),
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n'),
  ) as SipRequest;
}

/** Resolve with the next received message, or reject after ms. */
export async function nextMessage(t: SipTransport, ms = 3000): Promise<Received> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), ms);
  try {
    const [m] = (await once(t, 'message', { signal: ac.signal })) as [Received];
    return m;
  } finally {
    clearTimeout(timer);
  }
}
