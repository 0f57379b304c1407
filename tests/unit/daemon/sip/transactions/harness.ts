// A transaction layer on a FakeClock with a recording sender and deterministic randomness,
// and message builders for the transaction unit tests.
import { FakeClock } from '../../../../../daemon/sip/clock.js';
import { parseMessage } from '../../../../../daemon/sip/parser.js';
import { serializeMessage } from '../../../../../daemon/sip/serializer.js';
import type { SipMessage, SipRequest, SipResponse } from '../../../../../daemon/sip/message.js';
import {
  TransactionLayer,
  type DiscardedMessage,
  type Destination,
  type IncomingRequest,
  type IncomingResponse,
  type Protocol,
  type SendOptions,
  type ServerTransaction,
  type TimerValues,
} from '../../../../../daemon/sip/transactions/index.js';

export interface Sent {
  at: number;
  /** a parsed copy of what was serialised at send time */
  msg: SipMessage;
  dest: Destination;
  options: SendOptions;
}

export const PEER: Destination = { address: '10.0.0.2', port: 5060, protocol: 'udp' };

export class Harness {
  readonly clock = new FakeClock();
  readonly sent: Sent[] = [];
  readonly requests: ServerTransaction[] = [];
  readonly strayAcks: IncomingRequest[] = [];
  readonly strayResponses: IncomingResponse[] = [];
  readonly discarded: DiscardedMessage[] = [];
  /** when set, the next sends fail with this error (asynchronously, like a socket) */
  failWith: Error | undefined;
  /** what a successful send resolves with (a Transport resolves with its SendResult) */
  resolveWith: unknown;
  /** what onRequest does besides recording (e.g. answer at once) */
  onRequest: ((tx: ServerTransaction) => void) | undefined;
  readonly layer: TransactionLayer;
  #n = 0;

  constructor(options: { timers?: Partial<TimerValues>; autoTryingMs?: number | null; withTuCallbacks?: boolean } = {}) {
    const full = options.withTuCallbacks !== false;
    this.layer = new TransactionLayer({
      clock: this.clock,
      sender: (msg, dest, opts) => {
        if (this.failWith) return Promise.reject(this.failWith);
        this.sent.push({ at: this.clock.now(), msg: parseMessage(serializeMessage(msg)), dest, options: opts });
        return Promise.resolve(this.resolveWith);
      },
      sentBy: { host: '10.0.0.1', port: 5062 },
      random: () => `r${++this.#n}`,
      ...(options.timers ? { timers: options.timers } : {}),
      ...(options.autoTryingMs !== undefined ? { autoTryingMs: options.autoTryingMs } : {}),
      tu: {
        onRequest: (tx) => {
          this.requests.push(tx);
          this.onRequest?.(tx);
        },
        ...(full
          ? {
              onStrayAck: (a: IncomingRequest) => void this.strayAcks.push(a),
              onStrayResponse: (r: IncomingResponse) => void this.strayResponses.push(r),
            }
          : {}),
        onDiscarded: (d) => void this.discarded.push(d),
      },
    });
  }

  /** times (ms) at which messages matching the filter were sent */
  sentTimes(filter: (m: SipMessage) => boolean = () => true): number[] {
    return this.sent.filter((s) => filter(s.msg)).map((s) => s.at);
  }

  lastSent(): Sent {
    const s = this.sent.at(-1);
    if (!s) throw new Error('nothing sent');
    return s;
  }

  /** deliver a response from the peer */
  deliverResponse(res: SipResponse, protocol: Protocol = 'udp'): void {
    this.layer.receive({ message: parseMessage(serializeMessage(res)) as SipResponse, protocol, remote: { address: PEER.address, port: PEER.port } });
  }

  /** deliver a request from the peer (optionally on a TCP connection) */
  deliverRequest(req: SipRequest | string, protocol: Protocol = 'udp', connectionId?: string, remote = { address: PEER.address, port: 5099 }): void {
    const message = (typeof req === 'string' ? parseMessage(req) : parseMessage(serializeMessage(req))) as SipRequest;
    const incoming: IncomingRequest = connectionId !== undefined ? { message, protocol, remote, connectionId } : { message, protocol, remote };
    this.layer.receive(incoming);
  }
}

/** let rejected sends reach their handlers */
export const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

export function outgoing(method: string, opts: { cseq?: number; routes?: string[]; callId?: string } = {}): SipRequest {
  return parseMessage(
    [
      `${method} sip:bob@10.0.0.2 SIP/2.0`,
      'Max-Forwards: 70',
      ...(opts.routes ?? []).map((r) => `Route: ${r}`),
      'From: <sip:alice@10.0.0.1>;tag=alice1',
      'To: <sip:bob@10.0.0.2>',
      `Call-ID: ${opts.callId ?? 'call-1'}@10.0.0.1`,
      `CSeq: ${opts.cseq ?? 1} ${method}`,
      'Contact: <sip:alice@10.0.0.1:5062>',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n'),
  ) as SipRequest;
}

/** a request as a peer would send it to us */
export function incoming(method: string, opts: { branch?: string; cseq?: number; cseqMethod?: string; toTag?: string; viaHost?: string; transport?: string; rport?: boolean; callId?: string } = {}): string {
  const branch = opts.branch ?? 'z9hG4bKpeer1';
  return [
    `${method} sip:alice@10.0.0.1:5062 SIP/2.0`,
    `Via: SIP/2.0/${opts.transport ?? 'UDP'} ${opts.viaHost ?? '10.0.0.2:5099'};branch=${branch}${opts.rport ? ';rport=5099;received=10.0.0.2' : ''}`,
    'Max-Forwards: 70',
    'From: <sip:bob@10.0.0.2>;tag=bob1',
    `To: <sip:alice@10.0.0.1>${opts.toTag ? `;tag=${opts.toTag}` : ''}`,
    `Call-ID: ${opts.callId ?? 'call-in'}@10.0.0.2`,
    `CSeq: ${opts.cseq ?? 7} ${opts.cseqMethod ?? method}`,
    'Contact: <sip:bob@10.0.0.2:5099>',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}
