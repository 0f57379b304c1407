// The terminating side of a call (TS 24.229 5.1.4.1, IR.92 2.2.x/2.4): answer the offer; with
// preconditions (RFC 3312, the caller supports them and 100rel) a reliable 183 with our answer,
// then wait for the PRACK and for the caller's UPDATE (and our own voice bearer) before
// alerting with 180; without them 180 at once (reliable, with the answer, when the caller
// supports 100rel). The user sees the call (CallAdded) when it alerts. Answer → 200; hangup while
// ringing → 603; the caller's CANCEL → 487 (sent by the INVITE server) and the call is gone.
import type { IncomingCall } from '../../sip/user-agents/index.js';
import { peerSupports } from '../../sip/dialogs/option-tags.js';
import { Call, type CallContext } from './call.js';
import { callerOf } from './number.js';
import { audioStream } from './sdp/answer.js';
import { applyPeerPreconditions, hasPreconditions, localMet, preconditionsMet } from './sdp/preconditions.js';

export interface Terminated {
  call: Call;
  /** Answer(): 200 OK */
  accept(): void;
}

/**
 * Take an incoming INVITE. Returns undefined when it was refused at once (no usable offer).
 * `alerting` runs once the call rings (the service announces it then).
 */
export function terminate(ctx: CallContext, id: string, incoming: IncomingCall, waiting: boolean, alerting: (call: Call) => void): Terminated | undefined {
  const req = incoming.request;
  if (req.body.length === 0) {
    // TS 24.229 5.1.4.1 allows an INVITE without offer; imsd does not make the offer in a 1xx/2xx yet
    ctx.log.warning('INVITE without SDP offer refused', { callId: req.callId });
    incoming.reject(488, 'SDP offer required');
    return undefined;
  }
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
    onTerminated: (cause) => {
      if (cause.by === 'not-confirmed') {
        // a CANCEL (onCancelled runs right after) or our own rejection say more; anything else is the network's
        queueMicrotask(() => {
          if (!call.ended) call.finish(call.localEnd ? 'local' : 'network', 'the call was not established');
        });
        return;
      }
      call.sessionEnded(cause);
    },
  };
  call.onHangup = () => {
    incoming.reject(603, 'Decline');
    call.finish('local', '603 Decline');
  };

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
