// The originating side of a call (TS 24.229 5.1.3.1, IR.92 2.2.x/2.4): the INVITE with its IMS
// headers and the MMTel offer, PRACK for reliable provisionals (RFC 3262), the UPDATE that reports
// our QoS once the voice bearer is up (RFC 3312 / TS 24.229 6.1.2), alerting on 180, early media
// per P-Early-Media (RFC 5009), active on 200, CANCEL when hung up early, failures mapped to a
// DisconnectReason with "<status> <reason>".
import type { DisconnectReason, HideCallerId } from '../../dbus/backend.js';
import { parseNameAddr, type NameAddr } from '../../sip/header-values.js';
import type { SipResponse } from '../../sip/message.js';
import { formatUri, type Uri } from '../../sip/uri.js';
import { OutgoingCall, type Session } from '../../sip/user-agents/index.js';
import { Call, type CallContext } from './call.js';
import { lineIdentificationOf } from './number.js';
import { assignPayloadTypes } from './sdp/offer.js';
import { hasPreconditions, initialOfferStatus, localMet } from './sdp/preconditions.js';

/** TS 24.173 / TS 24.229 7.9A: the MMTel ICSI */
export const MMTEL_ICSI = 'urn:urn-7:3gpp-service.ims.icsi.mmtel';

export interface Originate {
  uri: Uri;
  hideCallerId: HideCallerId;
  /** the registered default public identity (P-Associated-URI's first) */
  impu: string;
  serviceRoute: string[];
}

/** RFC 5009 8: only "sendrecv" and "sendonly" authorise early media towards us */
export function earlyMediaOf(res: SipResponse): boolean | undefined {
  if (!res.headers.has('P-Early-Media')) return undefined;
  const v = res.headers.getAll('P-Early-Media').map((x) => x.trim().toLowerCase());
  return v.includes('sendrecv') || v.includes('sendonly');
}

/** which DisconnectReason a final error means (oFono: local/remote/network) */
export function reasonOf(status: number, localEnd: boolean): DisconnectReason {
  if (localEnd) return 'local';
  // the called user (or its UE) refused: busy, decline, not available now
  if ([486, 600, 603, 480, 487].includes(status)) return 'remote';
  return 'network';
}

export function originate(ctx: CallContext, id: string, o: Originate): Call {
  const call = new Call(ctx, id, 'outgoing', 'dialing');
  call.update({ lineIdentification: lineIdentificationOf(o.uri) });
  const ready = ctx.qosReady();
  if (ctx.preconditions) call.qos = initialOfferStatus(ready);
  const offer = call.describe('sendrecv', assignPayloadTypes(ctx.caps));
  const impu = parseNameAddr(`<${o.impu}>`, 'IMPU');
  const hide = o.hideCallerId === 'enabled';
  // RFC 3323 / RFC 3325: hidden identity: anonymous From and Privacy: id; the network still gets our identity in P-Preferred-Identity
  const from: NameAddr = hide ? parseNameAddr('"Anonymous" <sip:anonymous@anonymous.invalid>') : impu;
  const headers: Array<[string, string]> = [
    // TS 24.229 5.1.3.1: the identity to assert, the MMTel service, and the ICSI we want to reach
    ['P-Preferred-Identity', `<${o.impu}>`],
    ['P-Preferred-Service', MMTEL_ICSI],
    ['Accept-Contact', `*;+g.3gpp.icsi-ref="${encodeURIComponent(MMTEL_ICSI)}"`],
    // RFC 5009 8: we can take the network's early media authorisation
    ['P-Early-Media', 'supported'],
    // IR.92 2.4.1: preconditions, 100rel (RFC 3262) and session timers (RFC 4028) in Supported
    ['Supported', ctx.preconditions ? '100rel, precondition' : '100rel'],
  ];
  if (hide) headers.push(['Privacy', 'id']);
  let updateSent = false;
  let peerUsesPreconditions = false;
  let accepted = false;

  // RFC 3312 / TS 24.229 6.1.2: once our segment is ready, tell the peer in an UPDATE (early dialog)
  const reportQos = (session: Session | undefined): void => {
    if (!call.qos || !session || updateSent || !peerUsesPreconditions || call.ended || accepted) return;
    if (!localMet(call.qos) || call.reportedLocal === call.qos.localCurrent) return;
    if (session.dialog.state !== 'early' || !session.offerAnswer.mayOffer() || session.offerAnswer.completedExchanges === 0) return;
    updateSent = true;
    call.stopQosTimer();
    const body = call.describe('sendrecv', call.formats!);
    session.update({ body }).then(
      (res) => {
        if (res.status < 300 && res.body.length > 0) call.takeAnswer(res.body, 'sendrecv');
        else if (res.status >= 300) call.log.warning('UPDATE with our QoS refused', { status: res.status });
      },
      (e: unknown) => call.log.warning('UPDATE with our QoS failed', { error: (e as Error).message }),
    );
  };
  call.onQos = () => {
    if (call.qos) call.qos = { ...call.qos, localCurrent: ctx.qosReady() ? 'sendrecv' : 'none' };
    reportQos(current);
  };
  let current: Session | undefined;

  const outgoing = new OutgoingCall(
    ctx.core,
    { uri: o.uri, to: parseNameAddr(`<${formatUri(o.uri)}>`, 'To'), from, routes: o.serviceRoute.map((r) => parseNameAddr(r, 'Service-Route')), offer: { body: offer }, headers },
    {
      onProgress: (res, session) => {
        const early = earlyMediaOf(res);
        if (early !== undefined) call.update({ earlyMedia: early });
        if (session) {
          current = session;
          call.attach(session);
          if (res.body.length > 0) {
            try {
              const sd = call.parse(res.body);
              if (sd.media[0] && hasPreconditions(sd.media[0])) peerUsesPreconditions = true;
              call.takeAnswer(res.body, 'sendrecv');
            } catch (e) {
              call.log.warning('SDP of a provisional response unusable', { status: res.status, error: (e as Error).message });
            }
          }
        }
        if (res.status === 180) call.setState('alerting');
        if (peerUsesPreconditions && call.qos && call.qos.localCurrent !== 'sendrecv')
          call.startQosTimer(() => {
            call.log.warning('no QoS for the call in time', { ms: ctx.qosTimeoutMs });
            call.hangup();
          });
      },
      onPrackResponse: (_res, session) => reportQos(session),
      onAccepted: (session, res) => {
        accepted = true;
        current = session;
        call.stopQosTimer();
        call.attach(session);
        session.handlers.onTerminated = (cause) => call.sessionEnded(cause);
        if (res.body.length > 0 && (!call.negotiated || session.offerAnswer.completedExchanges <= 1)) {
          try {
            call.takeAnswer(res.body, 'sendrecv');
          } catch (e) {
            call.log.error('SDP answer in the 200 unusable: ending the call', { error: (e as Error).message });
            call.finish('network', `unusable SDP answer: ${(e as Error).message}`);
            session.bye();
            return;
          }
        }
        if (call.localEnd) {
          // hung up while the 200 crossed our CANCEL (RFC 3261 9.1: then BYE)
          session.bye();
          return;
        }
        call.onHangup = undefined;
        call.setState('active');
      },
      onFailed: (res) => {
        if (res instanceof Error) call.finish(call.localEnd ? 'local' : 'network', res.message);
        else call.finish(reasonOf(res.status, call.localEnd), `${res.status} ${res.reason}`.trim());
      },
      onTerminated: (session, cause) => {
        if (session === outgoing.session) call.sessionEnded(cause);
      },
    },
  );
  call.onHangup = () => {
    const r = outgoing.cancel();
    call.log.info('cancelling', { outcome: r });
    if (r === 'too-late' && outgoing.session) outgoing.session.bye();
  };
  outgoing.start();
  call.log.info('INVITE sent', { to: formatUri(o.uri), callId: outgoing.invite.callId, preconditions: ctx.preconditions, localQos: ready });
  return call;
}
