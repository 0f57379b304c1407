// The INVITE UAC (RFC 3261 13.2): an outgoing call. Forking (one session per To tag), PRACK for
// reliable provisionals (RFC 3262 4), the ACK for every 2xx (13.2.2.4, also for 2xx
// retransmissions after the transaction ended), ACK+BYE for a second fork's 2xx, CANCEL, and
// session timers (RFC 4028 7: Session-Expires in the INVITE, one retry after 422).
import type { NameAddr } from '../header-values.js';
import type { SipRequest, SipResponse } from '../message.js';
import type { Uri } from '../uri.js';
import type { Dialog } from '../dialogs/dialog.js';
import { InviteClientDialogs } from '../dialogs/invite-client-dialogs.js';
import { createInitialRequest } from '../dialogs/request-factory.js';
import { createPrack, ReliableProvisionalReceiver } from '../reliable-provisional/uac.js';
import { addSessionTimerToRequest, configAfter422, uacAgreement, type SessionTimerConfig } from '../session-timer/negotiation.js';
import type { CancelOutcome, InviteClientTransaction } from '../transactions/index.js';
import type { UserAgentCore } from './core.js';
import { Session, type Body, type TerminationCause } from './session.js';

export interface OutgoingCallOptions {
  uri: Uri;
  to: NameAddr;
  from: NameAddr;
  /** preloaded Route (the Service-Route in IMS) */
  routes?: NameAddr[];
  offer?: Body;
  /** ask for 100rel with Require instead of Supported (RFC 3262 4) */
  require100rel?: boolean;
  headers?: Array<[string, string | number]>;
}

export interface OutgoingCallHandlers {
  /** a provisional response (reliable ones only once, in order); `session` is its fork's early dialog */
  onProgress?(res: SipResponse, session: Session | undefined): void;
  /** a reliable provisional arrived; return a body for its PRACK (an answer or a new offer) */
  prackBody?(res: SipResponse, session: Session): Body | void;
  /** the final response to one of our PRACKs */
  onPrackResponse?(res: SipResponse, session: Session): void;
  /** the first 2xx: the call is up (the ACK is sent already) */
  onAccepted?(session: Session, res: SipResponse): void;
  /** a final error, a timeout or a transport error */
  onFailed?(res: SipResponse | Error): void;
  /** a session of this call ended */
  onTerminated?(session: Session, cause: TerminationCause): void;
  /** an INVITE without offer gets one in the 2xx: return the answer for the ACK (RFC 3261 13.2.1) */
  ackBody?(res: SipResponse): Body | void;
}

export class OutgoingCall {
  invite: SipRequest;
  #tx: InviteClientTransaction | undefined;
  #forks: InviteClientDialogs;
  readonly #sessions = new Map<string, Session>();
  readonly #prack = new Map<string, ReliableProvisionalReceiver>();
  #timerCfg: SessionTimerConfig | undefined;
  #retried422 = false;
  /** credentials answering a 401/407 (RFC 3261 22.2), carried by every later rebuild */
  #auth: Array<[string, string]> = [];
  #accepted: Session | undefined;
  #done = false;

  constructor(
    readonly core: UserAgentCore,
    readonly options: OutgoingCallOptions,
    public handlers: OutgoingCallHandlers = {},
  ) {
    this.#timerCfg = core.sessionTimer;
    this.invite = this.#build();
    this.#forks = new InviteClientDialogs(this.invite, { localContact: core.contact, random: core.random });
  }

  #build(previous?: SipRequest): SipRequest {
    const o = this.options;
    const headers = [...(o.headers ?? []), ...this.#auth];
    if (o.require100rel) headers.push(['Require', '100rel']);
    const req = createInitialRequest({
      method: 'INVITE',
      uri: o.uri,
      from: o.from,
      to: o.to,
      contact: this.core.contact,
      routes: o.routes ?? [],
      random: this.core.random,
      headers,
      ...(previous ? { callId: previous.callId, fromTag: previous.fromTag ?? '', cseq: previous.cseq.seq + 1 } : {}),
      ...(o.offer ? { body: o.offer.body, contentType: o.offer.contentType ?? 'application/sdp' } : {}),
    });
    this.core.decorate(req);
    if (this.#timerCfg) addSessionTimerToRequest(req, this.#timerCfg);
    return req;
  }

  /** the session confirmed by the first 2xx */
  get session(): Session | undefined {
    return this.#accepted;
  }

  get sessions(): Session[] {
    return [...this.#sessions.values()];
  }

  start(): this {
    this.#send();
    return this;
  }

  #send(): void {
    this.core.registerInvite(this.invite.callId, this.invite.fromTag ?? '', { receiveStrayResponse: (r) => this.#response(r) });
    this.#tx = this.core.layer.sendInvite(this.invite, this.core.route(this.invite), {
      onResponse: (res) => this.#response(res),
      onTimeout: (e) => this.#fail(e),
      onTransportError: (e) => this.#fail(e),
      onTerminated: () => {
        // RFC 6026: 2xx retransmissions may still come after the transaction; keep listening
        // for 64*T1 more, then let go
        const callId = this.invite.callId;
        const tag = this.invite.fromTag ?? '';
        const h = this.core.clock.setTimer(64 * this.core.t1, () => {
          forget();
          this.core.unregisterInvite(callId, tag);
        });
        const forget = this.core.onClose(() => this.core.clock.clearTimer(h));
      },
    });
  }

  /** A new INVITE transaction for the same call: same Call-ID and From tag, CSeq + 1. */
  #resend(): void {
    this.core.unregisterInvite(this.invite.callId, this.invite.fromTag ?? '');
    this.invite = this.#build(this.invite);
    this.#forks = new InviteClientDialogs(this.invite, { localContact: this.core.contact, random: this.core.random });
    this.#send();
  }

  /** RFC 3261 9.1: CANCEL (deferred by the transaction until a provisional has arrived). */
  cancel(): CancelOutcome | 'not-started' {
    if (!this.#tx) return 'not-started';
    return this.#tx.cancel();
  }

  #session(res: SipResponse, dialog: Dialog): Session {
    let s = this.#sessions.get(dialog.remoteTag);
    if (s && s.dialog === dialog) return s;
    s = new Session(this.core, dialog);
    const session = s;
    s.handlers.onTerminated = (cause) => this.handlers.onTerminated?.(session, cause);
    if (this.invite.body.length > 0) s.offerAnswer.localOffer();
    s.localSdp = this.options.offer?.body;
    s.notePeer(res);
    this.#sessions.set(dialog.remoteTag, s);
    return s;
  }

  #response(res: SipResponse): void {
    if (res.cseq.method !== 'INVITE' || res.cseq.seq !== this.invite.cseq.seq) return;
    if (res.status === 422 && !this.#retried422 && this.#timerCfg) {
      // RFC 4028 7.4: retry once with the larger interval
      const cfg = configAfter422(res, this.#timerCfg);
      if (cfg) {
        this.#retried422 = true;
        this.#timerCfg = cfg;
        this.#resend();
        return;
      }
    }
    if ((res.status === 401 || res.status === 407) && this.#auth.length === 0 && this.core.options.authorizer) {
      // RFC 3261 22.2: once, the same Call-ID and From tag with CSeq + 1 and the credentials
      const auth = this.core.options.authorizer(res, this.invite);
      if (auth) {
        this.#auth = auth;
        this.#resend();
        return;
      }
    }
    const outcome = this.#forks.receive(res);
    switch (outcome.kind) {
      case 'provisional':
        this.handlers.onProgress?.(res, undefined);
        return;
      case 'early': {
        const s = this.#session(res, outcome.dialog);
        this.#provisional(res, s);
        return;
      }
      case 'confirmed': {
        const s = this.#session(res, outcome.dialog);
        for (const d of outcome.terminated) this.#sessions.get(d.remoteTag)?.end({ by: 'not-confirmed' });
        s.notePeer(res);
        if (res.body.length > 0 && s.offerAnswer.state === 'local-offer') s.offerAnswer.remoteAnswer();
        this.#ack(s, res);
        this.#accepted = s;
        this.#done = true;
        if (this.invite.headers.has('Session-Expires')) s.startTimer(uacAgreement(res), 'uac');
        this.handlers.onAccepted?.(s, res);
        return;
      }
      case '2xx-retransmission': {
        const s = this.#sessions.get(outcome.dialog.remoteTag);
        if (s && !s.ended) this.#ack(s, res);
        else this.core.sendAck(outcome.dialog.createRequest('ACK', { cseq: this.invite.cseq.seq }));
        return;
      }
      case 'extra-2xx': {
        // RFC 3261 13.2.2.4: ACK the second fork's 2xx, then end that dialog with BYE
        const s = this.#session(res, outcome.dialog);
        this.#ack(s, res);
        s.bye();
        return;
      }
      case 'failed':
        for (const d of outcome.terminated) this.#sessions.get(d.remoteTag)?.end({ by: 'not-confirmed' });
        this.#done = true;
        this.handlers.onFailed?.(res);
        return;
    }
  }

  #provisional(res: SipResponse, s: Session): void {
    const tag = s.dialog.remoteTag;
    let rx = this.#prack.get(tag);
    if (!rx) {
      rx = new ReliableProvisionalReceiver();
      this.#prack.set(tag, rx);
    }
    const verdict = rx.receive(res);
    if (verdict.kind === 'unreliable') {
      this.handlers.onProgress?.(res, s);
      return;
    }
    if (verdict.kind !== 'new') return; // RFC 3262 4: not PRACKed, not processed further
    if (res.body.length > 0 && s.offerAnswer.state === 'local-offer') s.offerAnswer.remoteAnswer();
    else if (res.body.length > 0 && s.offerAnswer.mayOffer()) s.offerAnswer.remoteOffer();
    this.handlers.onProgress?.(res, s);
    const body = this.handlers.prackBody?.(res, s) ?? undefined;
    const prack = createPrack(s.dialog, verdict.rack, body ? { body: body.body, contentType: body.contentType ?? 'application/sdp' } : {});
    if (body) {
      if (s.offerAnswer.state === 'remote-offer') s.offerAnswer.localAnswer();
      else if (s.offerAnswer.mayOffer()) s.offerAnswer.localOffer();
    }
    this.core.sendRequest(prack, {
      onResponse: (r) => {
        if (r.status < 200) return;
        if (r.status < 300 && r.body.length > 0 && s.offerAnswer.state === 'local-offer') s.offerAnswer.remoteAnswer();
        this.handlers.onPrackResponse?.(r, s);
      },
    });
  }

  #ack(s: Session, res: SipResponse): void {
    const body = this.invite.body.length === 0 ? this.handlers.ackBody?.(res) : undefined;
    const ack = s.dialog.createRequest('ACK', {
      cseq: this.invite.cseq.seq,
      ...(body ? { body: body.body, contentType: body.contentType ?? 'application/sdp' } : {}),
    });
    // 13.2.2.4: the ACK carries the INVITE's credentials
    for (const n of ['Authorization', 'Proxy-Authorization']) for (const v of this.invite.headers.getFields(n)) ack.headers.append(n, v);
    if (body && s.offerAnswer.state === 'stable' && s.offerAnswer.completedExchanges === 0) {
      s.offerAnswer.remoteOffer();
      s.offerAnswer.localAnswer();
    }
    this.core.sendAck(ack);
  }

  #fail(e: Error): void {
    if (this.#done) return;
    this.#done = true;
    for (const s of this.#sessions.values()) s.end({ by: 'not-confirmed' });
    this.handlers.onFailed?.(e);
  }
}
