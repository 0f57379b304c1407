// SIP user agents on top of the transaction layer, one per job (SIP.js-core style).
//
//   const core = new UserAgentCore({
//     clock, contact: parseNameAddr('<sip:alice@192.0.2.10:5060>'),
//     route: (req) => pcscf,                        // every request to the P-CSCF (default: Route, else Request-URI)
//     sessionTimer: { interval: 1800 },             // RFC 4028; false to switch off
//     onInvite: (call) => {                         // IncomingCall
//       call.progress(183, { reliable: true, body: { body: sdpAnswer } });
//       return { onPrack() { call.accept(); }, onConfirmed() {}, onTerminated(cause) {} };
//     },
//     onMessage: (req) => 200,                      // RFC 3428
//   });
//   const endpoint = new SipEndpoint({ transport, clock, sentBy, tu: core });
//   core.attach(endpoint.layer);
//
//   const call = new OutgoingCall(core, { uri, to, from, routes: serviceRoute, offer: { body: sdp } }, {
//     onProgress(res, session) {}, onAccepted(session) { session.update({ body: newSdp }); session.bye(); },
//   }).start();
//   call.cancel();
//
//   const reg = new SubscriptionClient(core, { uri, to, from, event: 'reg', expires: 600000, onNotify(n, state) {} });
//   reg.subscribe();
//
// The core answers by itself: OPTIONS (200 with Allow/Accept/Supported), 405 for methods nobody
// serves, 420 for unknown Require options, 481 for requests in unknown dialogs, 500 for
// out-of-order CSeq. core.close() stops every user agent timer (close the layer first).
export { digestAuthorizer, type Authorizer, type Credentials, type DigestAuthorizerOptions } from './authorizer.js';
export { UserAgentCore, type DialogUser, type NotifyUser, type UserAgentCoreOptions } from './core.js';
export { UserAgentError } from './errors.js';
export { OutgoingCall, type OutgoingCallHandlers, type OutgoingCallOptions } from './invite-client.js';
export { IncomingCall, type IncomingCallHandlers, type ProvisionalOptions } from './invite-server.js';
export { destinationOf, nextHop } from './next-hop.js';
export { Session, type Body, type SessionHandlers, type TerminationCause } from './session.js';
export { SubscriptionClient, type SubscriptionClientOptions } from './subscription-client.js';
