// The SIP transaction layer (RFC 3261 17, RFC 6026) in one import.
//
// Usage (sans-I/O: the clock and the sender are injected; SipEndpoint in ../endpoint.ts wires
// a real Transport):
//
//   const layer = new TransactionLayer({
//     clock: new SystemClock(),                       // FakeClock in unit tests
//     sender: (msg, dest, opts) => transport.send(msg, dest, opts),
//     sentBy: { host: '192.0.2.10', port: 5060 },     // written into the Via the layer adds
//     timers: { T1: 500, T2: 4000, T4: 5000 },       // the defaults
//     tu: {
//       onRequest(tx) {                               // a new request with its server transaction
//         if (tx.kind === 'invite') tx.handlers.onCancel = () => tx.respond(createResponse(tx.request, 487, { toTag }));
//         tx.respond(createResponse(tx.request, 200, { toTag }));
//       },
//       onStrayAck(ack) {},                           // ACK for our 2xx (or matching nothing)
//       onStrayResponse(res) {},                      // e.g. a 2xx retransmission after Timer M: re-send ACK
//     },
//   });
//   transport.on('message', (m) => layer.receive(m));
//
//   // client side: the layer adds "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK...;rport"
//   const tx = layer.sendRequest(register, { address: '192.0.2.1', port: 5060, protocol: 'udp' }, {
//     onResponse(res) {},                             // 1xx, the final response, further 2xx to INVITE
//     onTimeout(err) {},                              // Timer B / F (err.timer)
//     onTransportError(err) {},                       // RFC 3261 17.1.4
//   });
//   const inv = layer.sendInvite(invite, dest, { onResponse(res) { if (res.status >= 200 && res.status < 300) layer.sendStateless(ack2xx, dest); } });
//   inv.cancel();                                     // 9.1: sent once a provisional has arrived; 487 follows
//
//   // server side, 2xx to INVITE: the TU owns its retransmission (13.3.1.4, on every transport:
//   // hop-by-hop TCP does not make it reach the far end); respond2xx does it until the ACK
//   // (matched by Call-ID, CSeq number, From and To tags) arrives or 64*T1 passes:
//   layer.respond2xx(serverTx, ok, { onAckTimeout() { /* send BYE */ } });
//
// Who does what: the INVITE client transaction ACKs non-2xx finals itself (17.1.1.3); the TU
// ACKs every 2xx (sendStateless); the layer answers CANCEL with 200 (or 481) and tells the TU
// through handlers.onCancel, which should send 487 (the layer sends it itself if no handler);
// retransmitted requests are absorbed and answered with the last response; responses are sent
// per 18.2.2 (received/rport, the request's TCP connection); responses whose top Via is not
// ours are discarded (18.1.2). Nothing is dropped silently: what no transaction and no TU
// callback takes goes to tu.onDiscarded (or a console warning). Timers: A–K as RFC 3261 17,
// L and M as RFC 6026; retransmissions (A, E, G) only on UDP; D = 32 s on UDP (timerD), and
// D, I, J, K are 0 on TCP. Every timer is cleared when a transaction terminates.
export { MAGIC_COOKIE, newBranch, isRfc3261Branch, defaultRandomToken, type RandomToken } from './branch.js';
export { TransactionStateError, TransactionTimeoutError, TransactionTransportError, type TimeoutTimer } from './errors.js';
export { InviteClientTransaction, type CancelOptions, type CancelOutcome, type InviteClientState } from './invite-client.js';
export { InviteServerTransaction, type InviteServerState } from './invite-server.js';
export { TransactionLayer, type ClientTransaction, type RequestOptions, type ServerTransaction, type TransactionLayerOptions } from './layer.js';
export { clientKey, requestKey, responseKey } from './matching.js';
export { buildCancel, buildNon2xxAck } from './messages.js';
export { NonInviteClientTransaction, type NonInviteClientState } from './non-invite-client.js';
export { NonInviteServerTransaction, type NonInviteServerState } from './non-invite-server.js';
export { responseRoute, type ResponseRoute } from './response-route.js';
export { ackMatchKey, Retransmit2xx, type Retransmit2xxHandlers } from './retransmit-2xx.js';
export * from './types.js';
