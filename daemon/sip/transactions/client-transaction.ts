// The parts of the INVITE and non-INVITE client transactions that are the same: the request,
// its destination, the TU's handlers and the way a transport error ends the transaction.
import type { SipRequest, SipResponse } from '../message.js';
import { Transaction, type TransactionContext } from './transaction.js';
import type { ClientTransactionHandlers, Destination, IncomingResponse, SendOptions } from './types.js';

export abstract class ClientTransactionBase extends Transaction {
  constructor(
    ctx: TransactionContext,
    branch: string,
    /** the request as sent (with the Via the layer added) */
    readonly request: SipRequest,
    readonly destination: Destination,
    protected readonly handlers: ClientTransactionHandlers,
    protected readonly sendOptions: SendOptions = {},
  ) {
    super(ctx, branch, request.method);
  }

  #switchedToReliable = false;

  protected get reliable(): boolean {
    return this.destination.protocol !== 'udp' || this.#switchedToReliable;
  }

  /**
   * RFC 3261 18.1.1: the transport sends a large request over TCP although UDP was asked for
   * (and rewrites the Via); from then on the transaction is on a reliable transport, so its
   * retransmission timers (A, E) stop and Timers D and K are 0.
   */
  protected override sent(result: unknown): void {
    if (this.#switchedToReliable || this.destination.protocol !== 'udp') return;
    if (typeof result === 'object' && result !== null && (result as { protocol?: unknown }).protocol === 'tcp') {
      this.#switchedToReliable = true;
      this.timerSet.stop('A');
      this.timerSet.stop('E');
    }
  }

  /** Pass the request to the transport and start the timers (called once by the layer). */
  abstract start(): void;

  /** A response whose key matched this transaction (RFC 3261 17.1.3). */
  abstract receiveResponse(res: SipResponse, incoming: IncomingResponse): void;

  /** The destination with the protocol actually in use (TCP after an 18.1.1 switch). */
  get effectiveDestination(): Destination {
    return this.#switchedToReliable ? { ...this.destination, protocol: 'tcp' } : this.destination;
  }

  protected sendRequest(msg: SipRequest = this.request): void {
    this.transmit(msg, this.effectiveDestination, this.sendOptions);
  }
}
