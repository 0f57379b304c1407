// The terminating side of a call (TS 24.229 5.1.4.1, IR.92 2.2.x/2.4): answer the offer; with
// preconditions (RFC 3312, the caller supports them and 100rel) a reliable 183 with our answer,
// then wait for the PRACK and for the caller's UPDATE (and our own voice bearer) before
// alerting with 180; without them 180 at once (reliable, with the answer, when the caller
// supports 100rel). The user sees the call (CallAdded) when it alerts. Answer → 200; hangup while
// ringing → 603; the caller's CANCEL → 487 (sent by the INVITE server) and the call is gone.
import type { IncomingCall, TerminationCause } from '../../sip/user-agents/index.js';
import { peerSupports } from '../../sip/dialogs/option-tags.js';
import { Call, type CallContext } from './call.js';
import { callerOf } from './number.js';
import { audioStream } from './sdp/answer.js';
import { assignPayloadTypes } from './sdp/offer.js';
import { applyPeerPreconditions, hasPreconditions, localMet, preconditionsMet } from './sdp/preconditions.js';

export interface Terminated {
  call: Call;
  /** Answer(): 200 OK */
  accept(): void;
}

/**
 * Take an incoming INVITE. Returns undefined when it was refused at once (an offer without a common codec).
 * `alerting` runs once the call rings (the service announces it then).
 */
export function terminate(ctx: CallContext, id: string, incoming: IncomingCall, waiting: boolean, alerting: (call: Call) => void): Terminated | undefined {
  const req = incoming.request;
  let call: Call;
  try {
    call = new Call(ctx, id, 'incoming', waiting ? 'waiting' : 'incoming');
  } catch (e) {
    ctx.log.error('incoming call refused', { error: (e as Error).message });
    incoming.reject(503, 'no media resources');
    return undefined;
  }
  const caller = callerOf(req.headers, req.from);
  call.update({ lineIdentification: caller.number, name: caller.name });
  if (req.body.length === 0) return withoutOffer(ctx, call, incoming, alerting);
  let usePreconditions = false;
  try {
    const audio = audioStream(call.parse(req.body));
    usePreconditions = ctx.preconditions && !!audio && hasPreconditions(audio.media) && peerSupports(req, 'precondition') && incoming.peerSupports100rel;
    if (usePreconditions && audio) {
      // TS 24.229 6.1.3: the answerer wants both segments; the caller's desire for its own is folded in
      call.qos = applyPeerPreconditions(
        { localCurrent: 'none', remoteCurrent: 'none', localDesired: { strength: 'mandatory', direction: 'sendrecv' }, remoteDesired: { strength: 'none', direction: 'sendrecv' } },
        audio.media,
      );
    }
  } catch (e) {
    call.log.warning('unusable SDP offer', { error: (e as Error).message });
  }
  const answer = call.answerPeerOffer(req);
  if ('reject' in answer) {
    incoming.reject(answer.reject, 'Not Acceptable Here');
    call.finish('network', `${answer.reject} Not Acceptable Here (sent)`);
    return undefined;
  }
  let answerSent = false;
  let prackPending = false;
  let alerted = false;
  let accepted = false;

  const alert = (): void => {
    if (alerted || call.ended || accepted) return;
    if (call.qos && (prackPending || !preconditionsMet(call.qos))) return;
    alerted = true;
    call.stopQosTimer();
    const reliable = incoming.peerSupports100rel;
    // RFC 3262 5 / RFC 3264: the answer goes in the first reliable response, or else in the 200
    if (reliable && !answerSent) {
      incoming.progress(180, { reliable: true, body: answer });
      answerSent = true;
      prackPending = true;
    } else incoming.progress(180, { reliable: reliable && !!call.qos });
    if (incoming.session) call.attach(incoming.session);
    alerting(call);
  };

  // our bearer came up (or went) while ringing: tell the caller when it asked to confirm (RFC 3312 5.1.3 a=conf)
  call.onQos = () => {
    if (call.ended || accepted) return;
    call.refreshLocalQos();
    const s = incoming.session;
    if (call.qos && s && !prackPending && localMet(call.qos) && call.reportedLocal !== call.qos.localCurrent && call.qos.confirmRequested && s.offerAnswer.mayOffer() && call.formats) {
      s.update({ body: call.describe('sendrecv', call.formats) }).then(
        (res) => {
          if (res.status < 300 && res.body.length > 0) call.takeAnswer(res.body, 'sendrecv');
          alert();
        },
        (e: unknown) => call.log.warning('UPDATE with our QoS failed', { error: (e as Error).message }),
      );
      return;
    }
    alert();
  };

  incoming.handlers = {
    onCancelled: () => call.finish('remote', '487 Request Terminated'),
    onPrack: () => {
      prackPending = false;
      queueMicrotask(() => call.onQos?.());
    },
    onTerminated: (cause) => ended(call, cause),
  };
  call.onHangup = () => decline(call, incoming);

  if (usePreconditions) {
    incoming.progress(183, { reliable: true, body: answer });
    answerSent = true;
    prackPending = true;
    if (incoming.session) call.attach(incoming.session);
    // RFC 3312 8 / TS 24.229 6.1.3: no resources in time: 580 Precondition Failure
    call.startQosTimer(() => {
      call.log.warning('preconditions not met in time', { ms: ctx.qosTimeoutMs });
      incoming.reject(580, 'Precondition Failure');
      call.finish('network', '580 Precondition Failure (sent)');
    });
  } else alert();

  return {
    call,
    accept: () => {
      if (accepted || call.ended) return;
      accepted = true;
      call.stopQosTimer();
      incoming.accept(answerSent ? undefined : answer);
      if (incoming.session) call.attach(incoming.session);
      call.onHangup = undefined;
      call.setState('active');
    },
  };
}

function ended(call: Call, cause: TerminationCause): void {
  if (cause.by === 'not-confirmed') {
    // a CANCEL (onCancelled runs right after) or our own rejection say more; anything else is the network's
    queueMicrotask(() => {
      if (!call.ended) call.finish(call.localEnd ? 'local' : 'network', 'the call was not established');
    });
    return;
  }
  call.sessionEnded(cause);
}

/** TS 24.229 5.1.4.1 / IR.92: Hangup() while it rings: 603 Decline */
function decline(call: Call, incoming: IncomingCall): void {
  incoming.reject(603, 'Decline');
  call.finish('local', '603 Decline');
}

/**
 * An INVITE without offer (RFC 3261 13.2.1, allowed by TS 24.229 5.1.4.1): our offer goes in the
 * 200 and the answer comes in the ACK. The 180 is sent unreliably: a reliable one would have to
 * carry the offer (RFC 3262 5), and preconditions need an offer/answer before alerting anyway.
 */
function withoutOffer(ctx: CallContext, call: Call, incoming: IncomingCall, alerting: (call: Call) => void): Terminated {
  let accepted = false;
  incoming.handlers = {
    onCancelled: () => call.finish('remote', '487 Request Terminated'),
    onConfirmed: (ack) => {
      try {
        if (ack.body.length === 0) throw new Error('the ACK carries no answer');
        call.takeAnswer(ack.body, 'sendrecv');
      } catch (e) {
        call.log.error('no usable answer to our offer in the ACK: ending the call', { error: (e as Error).message });
        call.hangup();
      }
    },
    onTerminated: (cause) => ended(call, cause),
  };
  call.onHangup = () => decline(call, incoming);
  incoming.progress(180, { reliable: false });
  if (incoming.session) call.attach(incoming.session);
  alerting(call);
  return {
    call,
    accept: () => {
      if (accepted || call.ended) return;
      accepted = true;
      incoming.accept({ body: call.describe('sendrecv', assignPayloadTypes(ctx.caps)) });
      if (incoming.session) call.attach(incoming.session);
      call.onHangup = undefined;
      call.setState('active');
    },
  };
}
