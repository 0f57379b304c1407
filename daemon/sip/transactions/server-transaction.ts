// The parts of the INVITE and non-INVITE server transactions that are the same: the request,
// where responses go (RFC 3261 18.2.2), the TU's handlers and transport errors (17.2.4).
import type { SipRequest, SipResponse } from '../message.js';
import { responseRoute, type ResponseRoute } from './response-route.js';
import { Transaction, type TransactionContext } from './transaction.js';
import type { IncomingRequest, ServerTransactionHandlers } from './types.js';

export abstract class ServerTransactionBase extends Transaction {
  /** the TU sets these (normally inside onRequest) */
  handlers: ServerTransactionHandlers = {};
  /** the last response sent, re-sent on request retransmissions */
  lastResponse: SipResponse | undefined;
  readonly route: ResponseRoute;
  readonly request: SipRequest;

  constructor(
    ctx: TransactionContext,
    branch: string,
    readonly incoming: IncomingRequest,
  ) {
    super(ctx, branch, incoming.message.method);
    this.request = incoming.message;
    this.route = responseRoute(incoming);
  }

  protected get reliable(): boolean {
    return this.incoming.protocol !== 'udp';
  }

  /** Send a response built by the TU (e.g. with createResponse(tx.request, status)). */
  abstract respond(response: SipResponse): void;

  /** A retransmission of the request (or, for INVITE, an ACK) matched this transaction. */
  abstract receiveRequest(incoming: IncomingRequest): void;

  protected sendResponse(res: SipResponse): void {
    this.transmit(res, this.route.dest, this.route.options);
  }
}
