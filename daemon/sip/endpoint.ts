// The glue between the sans-I/O transaction layer and a Transport: received messages go into
// the layer, the layer's messages go out through transport.send. Opens no socket itself.
import type { Transport, TransportEvents } from '../transport/transport.js';
import type { Clock } from './clock.js';
import type { SipMessage } from './message.js';
import { TransactionLayer, type TransactionLayerOptions } from './transactions/index.js';

export interface SipEndpointOptions extends Omit<TransactionLayerOptions, 'sender' | 'clock'> {
  transport: Transport;
  clock: Clock;
  /** sees (and may add headers to) every message the layer sends, retransmissions included */
  beforeSend?: (msg: SipMessage) => void;
}

export class SipEndpoint {
  readonly layer: TransactionLayer;
  readonly transport: Transport;
  readonly #onMessage: TransportEvents['message'];

  constructor(options: SipEndpointOptions) {
    const { transport, beforeSend, ...rest } = options;
    this.transport = transport;
    this.layer = new TransactionLayer({
      ...rest,
      sender: (msg, dest, opts) => {
        beforeSend?.(msg);
        return transport.send(msg, dest, opts);
      },
    });
    this.#onMessage = (m) => this.layer.receive(m);
    transport.on('message', this.#onMessage);
  }

  /** Stop listening and end every transaction (the transport stays open: its owner closes it). */
  close(): void {
    this.transport.off('message', this.#onMessage);
    this.layer.close();
  }
}
