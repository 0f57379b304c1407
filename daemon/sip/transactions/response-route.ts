// Where a server transaction sends its responses (RFC 3261 18.2.2, RFC 3581 4).
import type { Destination, IncomingRequest, SendOptions } from './types.js';

export interface ResponseRoute {
  dest: Destination;
  options: SendOptions;
}

export function responseRoute(incoming: IncomingRequest): ResponseRoute {
  const via = incoming.message.topVia;
  const received = via.params.get('received');
  const address = typeof received === 'string' && received !== '' ? received : incoming.remote.address;
  const sentByPort = via.port ?? 5060;
  if (incoming.protocol === 'tcp') {
    // 18.2.2: reliable transport: on the connection the request came on, if still open;
    // otherwise a new connection to the received address and the sent-by port
    const options: SendOptions = {};
    if (incoming.connectionId !== undefined) options.connectionId = incoming.connectionId;
    return { dest: { address, port: sentByPort, protocol: 'tcp' }, options };
  }
  // RFC 3581 4: with rport filled in, answer to the source address and port
  const rport = via.params.get('rport');
  if (typeof rport === 'string' && /^\d+$/.test(rport)) return { dest: { address, port: Number(rport), protocol: 'udp' }, options: {} };
  // 18.2.2: "received" present: that address and the sent-by port; otherwise sent-by itself
  // (the transport adds received whenever sent-by differs from the source, 18.2.1)
  return { dest: { address, port: sentByPort, protocol: 'udp' }, options: {} };
}
