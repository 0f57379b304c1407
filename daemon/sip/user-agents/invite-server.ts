// The INVITE UAS (RFC 3261 13.3): an incoming call. Provisional responses (reliable ones per
// RFC 3262 when the caller supports 100rel), PRACKs, the 2xx (retransmitted by the layer's
// respond2xx until the ACK, 13.3.1.4), rejection, CANCEL (9.2: 487), and session timer
// negotiation in the 2xx (RFC 4028 9).
import type { SipRequest, SipResponse } from '../message.js';
import { Dialog } from '../dialogs/dialog.js';
import { hasOptionTag, peerSupports } from '../dialogs/option-tags.js';
import { ReliableProvisionalSender } from '../reliable-provisional/uas.js';
import { uasDecide } from '../session-timer/negotiation.js';
import type { InviteServerTransaction, ServerTransaction } from '../transactions/index.js';
import type { UserAgentCore } from './core.js';
import { UserAgentError } from './errors.js';
import { Session, type Body, type TerminationCause } from './session.js';

export interface IncomingCallHandlers {
  /** the caller cancelled (we already answered 487) */
  onCancelled?(cancel: SipRequest): void;
  /** a PRACK matched a reliable provisional; return an answer when the PRACK carried an offer */
  onPrack?(prack: SipRequest): Body | void;
  /** the ACK for our 2xx arrived: the call is up */
  onConfirmed?(ack: SipRequest): void;
  /** the call ended: not confirmed, BYE, session expiry, no ACK ... */
  onTerminated?(cause: TerminationCause): void;
}

export interface ProvisionalOptions {
  body?: Body;
  /** send it reliably (RFC 3262); default: when the INVITE requires 100rel */
  reliable?: boolean;
}

const SDP = 'application/sdp';

export class IncomingCall {
  handlers: IncomingCallHandlers = {};
  readonly tx: InviteServerTransaction;
  readonly toTag: string;
  #session: Session | undefined;
  #reliable: ReliableProvisionalSender | undefined;
  #pendingAccept: Body | undefined | null = null;
  /** inside the PRACK handler: a 2xx asked for now waits until the PRACK's own 200 is out */
  #inPrack = false;
  #final = false;
  readonly #forgetCloser: () => void;

  constructor(
    readonly core: UserAgentCore,
    tx: ServerTransaction,
  ) {
    if (tx.kind !== 'invite') throw new UserAgentError('IncomingCall needs an INVITE server transaction');
    this.tx = tx;
    this.toTag = core.newTag();
    tx.handlers.onCancel = (cancel) => this.#cancelled(cancel);
    this.#forgetCloser = core.onClose(() => this.#reliable?.stop());
  }

  get request(): SipRequest {
    return this.tx.request;
  }

  /** the session (early once a provisional with tag went out, confirmed after the 2xx) */
  get session(): Session | undefined {
    return this.#session;
  }

  /** RFC 3262 3: the caller must support or require 100rel for reliable provisionals */
  get peerSupports100rel(): boolean {
    return peerSupports(this.request, '100rel');
  }

  #ensureSession(): Session {
    if (!this.#session) {
      const dialog = Dialog.asUas(this.request, this.toTag, { localContact: this.core.contact, random: this.core.random });
      const s = new Session(this.core, dialog);
      s.notePeer(this.request);
      s.prackHandler = (tx) => this.#prack(tx);
      s.ackHandler = (ack) => this.#ack(ack);
      s.handlers.onTerminated = (cause) => {
        // RFC 3261 15.1.2: a BYE in the early dialog: 200 to the BYE (done), 487 to the INVITE
        if (cause.by === 'remote' && !this.#final) {
          this.#final = true;
          this.#reliable?.stop();
          this.#forgetCloser();
          this.tx.respond(this.#response(487));
        }
        this.handlers.onTerminated?.(cause);
      };
      if (this.request.body.length > 0) s.offerAnswer.remoteOffer();
      this.#session = s;
    }
    return this.#session;
  }

  #response(status: number, body?: Body): SipResponse {
    const res = this.core.respondLater(this.tx, status, this.toTag);
    if (status > 100) res.contacts = [this.core.contact];
    if (body) {
      res.body = Buffer.from(body.body, 'utf8');
      res.headers.set('Content-Type', body.contentType ?? SDP);
    }
    return res;
  }

  /** Send a provisional response (180, 183, ...); reliably when asked or required. */
  progress(status = 180, options: ProvisionalOptions = {}): SipResponse {
    if (this.#final) throw new UserAgentError('a final response was sent');
    if (status < 101 || status > 199) throw new UserAgentError(`${status} is no provisional`);
    const reliable = options.reliable ?? hasOptionTag(this.request, 'Require', '100rel');
    if (reliable && !this.peerSupports100rel) throw new UserAgentError('the caller does not support 100rel');
    const session = this.#ensureSession();
    const res = this.#response(status, options.body);
    this.core.decorate(res);
    if (options.body) this.#noteLocalSdp(session, options.body);
    if (!reliable) {
      this.tx.respond(res);
      return res;
    }
    if (!this.#reliable) {
      this.#reliable = new ReliableProvisionalSender(this.request, {
        clock: this.core.clock,
        t1: this.core.t1,
        random: this.core.random,
        send: (r) => {
          if (!this.#final) this.tx.respond(r);
        },
        // RFC 3262 3: no PRACK within 64*T1: reject the INVITE with a 5xx
        onTimeout: () => this.reject(504, 'no PRACK for a reliable provisional response'),
      });
    }
    this.#reliable.sendReliable(res);
    return res;
  }

  #noteLocalSdp(session: Session, body: Body): void {
    session.localSdp = body.body;
    const oa = session.offerAnswer;
    if (oa.state === 'remote-offer') oa.localAnswer();
    else if (oa.state === 'stable' && oa.completedExchanges === 0) oa.localOffer();
  }

  /**
   * Answer with 200. RFC 3262 3: held back while a reliable provisional with a session
   * description awaits its PRACK; it goes out when that PRACK arrives.
   */
  accept(body?: Body): void {
    if (this.#final) throw new UserAgentError('a final response was sent');
    if (this.#reliable?.blocks2xx() || this.#inPrack) {
      this.#pendingAccept = body;
      return;
    }
    const session0 = this.#session;
    // RFC 3261 13.3.1.4 / RFC 3264: an INVITE without offer gets the offer in the first reliable
    // non-failure response; with nothing sent yet, the 2xx must carry it
    if (!body && this.request.body.length === 0 && (!session0 || session0.offerAnswer.state === 'stable') && (session0?.offerAnswer.completedExchanges ?? 0) === 0)
      throw new UserAgentError('the INVITE had no offer: the 2xx must carry one');
    this.#pendingAccept = null;
    this.#final = true;
    this.#reliable?.stop();
    this.#forgetCloser();
    const session = this.#ensureSession();
    const res = this.#response(200, body);
    this.core.decorate(res);
    if (body) this.#noteLocalSdp(session, body);
    const cfg = this.core.sessionTimer;
    const decision = cfg ? uasDecide(this.request, cfg) : undefined;
    if (decision?.kind === 'accept') for (const [n, v] of decision.headers) res.headers.append(n, v);
    session.dialog.confirm();
    this.core.layer.respond2xx(this.tx, res, {
      // RFC 3261 13.3.1.4: no ACK within 64*T1: confirm, then end with BYE
      onAckTimeout: () => {
        if (session.ended) return;
        this.core.sendRequest(session.dialog.createRequest('BYE'), {});
        session.end({ by: 'no-ack' });
      },
    });
    if (decision?.kind === 'accept' && decision.agreement) session.startTimer(decision.agreement, 'uas');
  }

  /** Send a final error response (3xx-6xx). */
  reject(status = 486, reason?: string): void {
    if (this.#final) return;
    if (status < 300) throw new UserAgentError(`${status} is no rejection`);
    this.#final = true;
    this.#reliable?.stop();
    this.#forgetCloser();
    const res = this.#response(status);
    if (reason !== undefined) res.reason = reason;
    this.tx.respond(res);
    this.#session?.end({ by: 'not-confirmed' });
    if (!this.#session) this.handlers.onTerminated?.({ by: 'not-confirmed' });
  }

  #cancelled(cancel: SipRequest): void {
    if (this.#final) return;
    this.reject(487);
    this.handlers.onCancelled?.(cancel);
  }

  #prack(tx: ServerTransaction): void {
    if (!this.#reliable) {
      this.core.reject(tx, 481, 'no reliable provisional was sent');
      return;
    }
    const match = this.#reliable.receivePrack(tx.request);
    if (match.status === 481) {
      this.core.reject(tx, 481, match.reason);
      return;
    }
    const session = this.#ensureSession();
    const res = this.core.respondLater(tx, 200);
    this.#inPrack = true;
    try {
      // RFC 3262 5: a PRACK may carry an offer (answer in its 2xx) or the answer to our offer
      if (tx.request.body.length > 0) {
        if (session.offerAnswer.state === 'local-offer') session.offerAnswer.remoteAnswer();
        else if (session.offerAnswer.mayOffer()) {
          session.offerAnswer.remoteOffer();
          const answer = this.handlers.onPrack?.(tx.request);
          if (answer) {
            session.offerAnswer.localAnswer();
            session.localSdp = answer.body;
            res.body = Buffer.from(answer.body, 'utf8');
            res.headers.set('Content-Type', answer.contentType ?? SDP);
          } else session.offerAnswer.remoteOfferRejected();
        }
      } else this.handlers.onPrack?.(tx.request);
    } finally {
      this.#inPrack = false;
    }
    // the PRACK's 200 first, then a 2xx the handler asked for (or that waited for this PRACK)
    tx.respond(res);
    if (this.#pendingAccept !== null && !this.#final && !this.#reliable.blocks2xx()) this.accept(this.#pendingAccept);
  }

  #ack(ack: SipRequest): void {
    const session = this.#session;
    if (!session) return;
    // RFC 3261 13.2.1 / 14.2: an ACK with a body answers the offer of our 2xx
    if (ack.body.length > 0 && session.offerAnswer.state === 'local-offer') session.offerAnswer.remoteAnswer();
    session.ackHandler = undefined;
    this.handlers.onConfirmed?.(ack);
  }
}
