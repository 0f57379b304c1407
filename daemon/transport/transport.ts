// The Transport interface the sans-I/O SIP core talks to: it hands over messages with a
// destination and receives parsed messages with their source. Implementations own sockets.
import type { SipParseError } from '../sip/errors.js';
import type { SipMessage, SipRequest, SipResponse } from '../sip/message.js';
import type { FramingError } from './stream-framer.js';
import type { Destination, Peer, Protocol } from '../sip/destination.js';

export type { Destination, Peer, Protocol } from '../sip/destination.js';

export interface SendOptions {
  /** reuse this TCP connection (e.g. the one a request arrived on, RFC 3261 18.2.2) */
  connectionId?: string;
  /**
   * Send from the client port (port-c) rather than the server port (port-s). Defaults to
   * true for requests and false for responses.
   */
  fromClientPort?: boolean;
}

export interface SendResult {
  protocol: Protocol;
  local: Peer;
  remote: Peer;
  connectionId?: string;
}

export interface Received {
  message: SipRequest | SipResponse;
  raw: Buffer;
  protocol: Protocol;
  local: Peer;
  remote: Peer;
  /** the TCP connection it arrived on */
  connectionId?: string;
}

export interface InvalidReceived {
  error: SipParseError | FramingError;
  raw: Buffer;
  protocol: Protocol;
  remote: Peer;
  /** the 400/505 sent back, when one could be formed */
  answered: boolean;
}

export interface TransportEvents {
  message: (m: Received) => void;
  invalid: (e: InvalidReceived) => void;
  /** an RFC 5626 pong arrived on a TCP connection */
  pong: (remote: Peer, connectionId: string) => void;
  /** socket-level error that did not stop the transport */
  error: (e: Error) => void;
}

export interface Transport {
  send(msg: SipMessage | Buffer, dest: Destination, options?: SendOptions): Promise<SendResult>;
  on<E extends keyof TransportEvents>(event: E, listener: TransportEvents[E]): this;
  off<E extends keyof TransportEvents>(event: E, listener: TransportEvents[E]): this;
  close(): Promise<void>;
}
