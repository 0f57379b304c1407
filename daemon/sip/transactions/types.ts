// Types shared by the transaction layer (RFC 3261 17, RFC 6026): where messages go, what
// arrives, the timer base values and the callbacks the transaction user (TU) gives.
import type { SipMessage, SipRequest, SipResponse } from '../message.js';
import type { Destination, Peer, Protocol } from '../destination.js';
import type { TransactionTimeoutError, TransactionTransportError } from './errors.js';

export type { Destination, Peer, Protocol } from '../destination.js';

export interface SendOptions {
  /** send on this TCP connection (RFC 3261 18.2.2: a response goes back on the request's connection) */
  connectionId?: string;
}

/**
 * What the layer hands every outgoing message to (the endpoint glue adapts a Transport). A
 * throw or a rejected promise is a transport error (RFC 3261 17.1.4, 17.2.4) and is reported
 * to the TU by the transaction that sent the message.
 */
export type Sender = (msg: SipMessage, dest: Destination, options: SendOptions) => Promise<unknown> | void;

/** A received message with where it came from (the transport has already added received/rport). */
export interface IncomingMessage {
  message: SipRequest | SipResponse;
  protocol: Protocol;
  remote: Peer;
  /** the TCP connection it arrived on */
  connectionId?: string;
}
export interface IncomingRequest extends IncomingMessage {
  message: SipRequest;
}
export interface IncomingResponse extends IncomingMessage {
  message: SipResponse;
}

/** RFC 3261 17.1.1.1 / Table 4 base values in milliseconds. */
export interface TimerValues {
  /** RTT estimate (default 500 ms) */
  T1: number;
  /** maximum retransmission interval for non-INVITE requests and INVITE responses (default 4 s) */
  T2: number;
  /** maximum time a message stays in the network (default 5 s) */
  T4: number;
}

export const DEFAULT_TIMER_VALUES: Readonly<TimerValues> = Object.freeze({ T1: 500, T2: 4000, T4: 5000 });

/** The sent-by the layer writes into the Via it adds to requests (RFC 3261 18.1.1). */
export interface SentBy {
  host: string;
  port?: number;
}

/** Callbacks of one client transaction; every one is optional. */
export interface ClientTransactionHandlers {
  /**
   * Every response the transaction passes up: provisionals, the final response and, for an
   * INVITE in the RFC 6026 "Accepted" state, every further 2xx (other forks or retransmissions:
   * the TU sends the ACK for each, RFC 3261 13.2.2.4). Retransmitted non-2xx finals are absorbed.
   */
  onResponse?(response: SipResponse, incoming: IncomingResponse): void;
  /** Timer B or F fired, or no final response came 64*T1 after a CANCEL (RFC 3261 9.1) */
  onTimeout?(error: TransactionTimeoutError): void;
  /** the request (or the ACK) could not be sent (RFC 3261 17.1.4) */
  onTransportError?(error: TransactionTransportError): void;
  /** the transaction has ended and holds no timer any more */
  onTerminated?(): void;
}

/** Callbacks a TU may set on a server transaction (inside its onRequest). */
export interface ServerTransactionHandlers {
  /**
   * INVITE only: a CANCEL matched this transaction (RFC 3261 9.2). The layer has already
   * answered 200 to the CANCEL; the TU should now send 487 on the INVITE. When no handler is
   * set the layer sends the 487 itself.
   */
  onCancel?(cancel: SipRequest): void;
  /** INVITE only: Timer H fired, no ACK came for the non-2xx final response (RFC 3261 17.2.1) */
  onTimeout?(error: TransactionTimeoutError): void;
  /** a response could not be sent (RFC 3261 17.2.4) */
  onTransportError?(error: TransactionTransportError): void;
  onTerminated?(): void;
}

/** Why a received message was not passed to any transaction nor to the TU. */
export interface DiscardedMessage {
  incoming: IncomingMessage;
  reason: string;
  error?: Error;
}

export type ServerTransactionLike = {
  readonly request: SipRequest;
  readonly incoming: IncomingRequest;
};

/** The transaction user: what sits above the layer (UAs, dialogs). */
export interface TransactionUser<S = ServerTransactionLike> {
  /**
   * A new request (never ACK nor CANCEL) with its server transaction; the TU answers with
   * `tx.respond(response)`. Retransmissions of the request never reach the TU.
   */
  onRequest(tx: S): void;
  /**
   * An ACK that matched no INVITE server transaction in Completed state: the ACK for a 2xx
   * (RFC 3261 17.2.3 / 13.3.1.4) or a stray one. The layer has already stopped a matching
   * `retransmit2xx` helper.
   */
  onStrayAck?(ack: IncomingRequest): void;
  /**
   * A response that matched no client transaction, e.g. a 2xx retransmission after Timer M:
   * the TU re-sends its ACK (RFC 3261 13.2.2.4).
   */
  onStrayResponse?(response: IncomingResponse): void;
  /** A message the layer could not use (e.g. a request without a usable top Via); never silent. */
  onDiscarded?(d: DiscardedMessage): void;
}
