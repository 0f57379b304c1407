// One INVITE dialog usage (RFC 3261 13-15, RFC 3311, RFC 4028) seen from either side once the
// dialog exists: in-dialog requests we send (BYE, UPDATE, re-INVITE, INFO) and the ones we
// receive, offer/answer bookkeeping and the session timer.
import type { SipRequest, SipResponse } from '../message.js';
import type { Dialog } from '../dialogs/dialog.js';
import { OfferAnswer } from '../dialogs/offer-answer.js';
import { allowedMethods } from '../dialogs/option-tags.js';
import { formatSessionExpires, type Refresher } from '../session-timer/headers.js';
import { configAfter422, DEFAULT_SESSION_INTERVAL, MIN_SE_FLOOR, uacAgreement, type SessionTimerConfig, uasDecide, type SessionTimerAgreement } from '../session-timer/negotiation.js';
import { refreshMethod, SessionTimer } from '../session-timer/session-timer.js';
import type { ServerTransaction } from '../transactions/index.js';
import type { DialogUser, UserAgentCore } from './core.js';
import { UserAgentError } from './errors.js';

export interface Body {
  body: string;
  contentType?: string;
}

export type TerminationCause =
  | { by: 'local' }
  | { by: 'remote'; request: SipRequest }
  /** RFC 4028 10: no refresh in time, we sent BYE */
  | { by: 'session-expired' }
  /** RFC 3261 13.3.1.4: no ACK for our 2xx within 64*T1, we sent BYE */
  | { by: 'no-ack' }
  /** 481/408 to an in-dialog request (RFC 3261 12.2.1.2) */
  | { by: 'dialog-gone'; status: number }
  /** the call never got confirmed (rejected, cancelled, another fork answered) */
  | { by: 'not-confirmed' };

export interface SessionHandlers {
  /** an offer in an UPDATE or re-INVITE: return the answer, or a status to refuse it */
  onOffer?(req: SipRequest): Body | { reject: number };
  /** any other in-dialog request we answer 200 (INFO, OPTIONS): for the application to see */
  onRequest?(req: SipRequest): void;
  onTerminated?(cause: TerminationCause): void;
}

const SDP = 'application/sdp';

function bodyOf(msg: SipRequest | SipResponse): string | undefined {
  return msg.body.length > 0 ? msg.body.toString('utf8') : undefined;
}

export class Session implements DialogUser {
  readonly offerAnswer = new OfferAnswer();
  handlers: SessionHandlers = {};
  /** methods the peer listed in Allow */
  peerAllow: Set<string> | undefined;
  /** the last session description we sent, for refresh re-INVITEs */
  localSdp: string | undefined;
  /** set by the INVITE user agents: PRACKs and the ACK of our 2xx go to them */
  prackHandler: ((tx: ServerTransaction) => void) | undefined;
  ackHandler: ((ack: SipRequest) => void) | undefined;
  readonly timer: SessionTimer;
  #reinviteOut = false;
  #reinviteIn = false;
  #ended = false;

  constructor(
    readonly core: UserAgentCore,
    readonly dialog: Dialog,
  ) {
    this.timer = new SessionTimer(core.clock, {
      onRefresh: () => this.#refresh(),
      onExpire: () => this.#end({ by: 'session-expired' }, true),
    });
    core.registerDialog(this);
  }

  get state(): Dialog['state'] {
    return this.dialog.state;
  }

  notePeer(msg: SipRequest | SipResponse): void {
    const a = allowedMethods(msg);
    if (a) this.peerAllow = a;
  }

  /** Send BYE (RFC 3261 15.1.1: the session ends as the BYE goes out). */
  bye(): SipRequest | undefined {
    if (this.#ended || this.dialog.state === 'terminated') return undefined;
    const bye = this.dialog.createRequest('BYE');
    this.core.sendRequest(bye, {});
    this.#end({ by: 'local' }, false);
    return bye;
  }

  /** RFC 3311 5.1: UPDATE, with an offer when `offer` is given. Resolves with the final response. */
  update(offer?: Body, extra: Array<[string, string | number]> = []): Promise<SipResponse> {
    if (this.dialog.state === 'terminated') return Promise.reject(new UserAgentError('dialog is terminated'));
    // RFC 3311 5.1: only to a peer that listed UPDATE in Allow (when it sent Allow at all)
    if (this.peerAllow && !this.peerAllow.has('UPDATE')) return Promise.reject(new UserAgentError('the peer does not allow UPDATE'));
    // RFC 3311 5.1: in an early dialog, not before the initial offer/answer exchange completed
    if (offer && this.offerAnswer.mayOffer() && this.dialog.state === 'early' && this.offerAnswer.completedExchanges === 0)
      return Promise.reject(new UserAgentError('UPDATE with offer before the initial offer/answer exchange completed'));
    const req = this.#offerRequest('UPDATE', offer, extra);
    if (req instanceof UserAgentError) return Promise.reject(req);
    return this.#send(req, offer !== undefined);
  }

  /** RFC 6086 4.2: INFO within the session (e.g. application/dtmf-relay). Resolves with the final response. */
  info(body: Body, extra: Array<[string, string | number]> = []): Promise<SipResponse> {
    if (this.#ended || this.dialog.state === 'terminated') return Promise.reject(new UserAgentError('dialog is terminated'));
    const req = this.dialog.createRequest('INFO', { headers: extra, body: body.body, contentType: body.contentType ?? 'application/octet-stream' });
    this.core.decorate(req);
    return this.#send(req, false);
  }

  /** RFC 3261 14.1: re-INVITE (no second one while one is pending either way). */
  reinvite(offer?: Body, extra: Array<[string, string | number]> = []): Promise<SipResponse> {
    if (this.dialog.state !== 'confirmed') return Promise.reject(new UserAgentError('re-INVITE needs a confirmed dialog'));
    if (this.#reinviteOut || this.#reinviteIn) return Promise.reject(new UserAgentError('an INVITE transaction is in progress'));
    const req = this.#offerRequest('INVITE', offer, extra);
    if (req instanceof UserAgentError) return Promise.reject(req);
    this.#reinviteOut = true;
    return this.#send(req, offer !== undefined);
  }

  /** An in-dialog UPDATE or re-INVITE, carrying our offer when one is given and allowed now. */
  #offerRequest(method: 'UPDATE' | 'INVITE', offer: Body | undefined, extra: Array<[string, string | number]>): SipRequest | UserAgentError {
    if (offer) {
      const what = method === 'INVITE' ? 're-INVITE' : method;
      if (!this.offerAnswer.mayOffer()) return new UserAgentError(`${what} with offer while ${this.offerAnswer.state}`);
      this.offerAnswer.localOffer();
      this.localSdp = offer.body;
    }
    const req = this.dialog.createRequest(method, {
      headers: extra,
      ...(offer ? { body: offer.body, contentType: offer.contentType ?? SDP } : {}),
    });
    this.core.decorate(req);
    return req;
  }

  #send(req: SipRequest, withOffer: boolean): Promise<SipResponse> {
    return new Promise((resolve, reject) => {
      let done = false;
      const finish = (res: SipResponse): void => {
        done = true;
        if (req.method === 'INVITE') this.#reinviteOut = false;
        this.dialog.receiveResponse(req.method, res);
        if (res.status >= 200 && res.status < 300) {
          this.notePeer(res);
          if (withOffer && this.offerAnswer.state === 'local-offer') this.offerAnswer.remoteAnswer();
          if (req.method === 'INVITE') this.core.sendAck(this.dialog.createRequest('ACK', { cseq: req.cseq.seq }));
          if (req.headers.has('Session-Expires')) {
            const agreement = uacAgreement(res);
            if (agreement) this.timer.start(agreement, 'uac');
          }
        } else {
          if (withOffer) this.offerAnswer.localOfferRejected();
          // RFC 3261 12.2.1.2: 481 or 408 to an in-dialog request ends the dialog
          if (res.status === 481 || res.status === 408) this.#end({ by: 'dialog-gone', status: res.status }, false);
        }
        resolve(res);
      };
      this.core.sendRequest(req, {
        onResponse: (res) => {
          if (res.status < 200) return;
          if (done) {
            // further 2xx to a re-INVITE (retransmissions, RFC 6026) only need the ACK again
            if (req.method === 'INVITE' && res.status < 300) this.core.sendAck(this.dialog.createRequest('ACK', { cseq: req.cseq.seq }));
            return;
          }
          finish(res);
        },
        onTimeout: (e) => {
          if (req.method === 'INVITE') this.#reinviteOut = false;
          if (withOffer) this.offerAnswer.localOfferRejected();
          this.#end({ by: 'dialog-gone', status: 408 }, false);
          reject(e);
        },
        onTransportError: (e) => {
          if (req.method === 'INVITE') this.#reinviteOut = false;
          if (withOffer) this.offerAnswer.localOfferRejected();
          reject(e);
        },
      });
    });
  }

  /** Start the session timer after a successful negotiation; `ourRole` is our side in that transaction. */
  startTimer(agreement: SessionTimerAgreement | undefined, ourRole: Refresher): void {
    if (agreement) this.timer.start(agreement, ourRole);
  }

  #refresh(): void {
    const agreement = this.timer.agreement;
    const cfg = this.core.sessionTimer;
    if (!agreement || !cfg || this.#ended) return;
    this.#sendRefresh({ ...cfg, interval: agreement.interval }, true);
  }

  #sendRefresh(cfg: SessionTimerConfig, retryOn422: boolean): void {
    const method = refreshMethod(this.peerAllow);
    // RFC 4028 7.4 / 9: a refresh names us refresher again and carries the current interval
    const headers: Array<[string, string | number]> = [
      ['Session-Expires', formatSessionExpires({ interval: cfg.interval ?? DEFAULT_SESSION_INTERVAL, refresher: 'uac' })],
      ['Min-SE', Math.max(MIN_SE_FLOOR, cfg.minSE ?? MIN_SE_FLOOR)],
    ];
    const p =
      method === 'UPDATE'
        ? this.update(undefined, headers)
        : this.reinvite(this.localSdp !== undefined && this.offerAnswer.mayOffer() ? { body: this.localSdp } : undefined, headers);
    p.then(
      (res) => {
        // RFC 4028 7.4: once more with the interval the 422 asks for
        const next = res.status === 422 && retryOn422 ? configAfter422(res, cfg) : undefined;
        if (next && !this.#ended) this.#sendRefresh(next, false);
      },
      () => {
        /* the expiry timer still runs and ends the session */
      },
    );
  }

  // ---- requests from the peer ----

  receiveRequest(tx: ServerTransaction): void {
    const req = tx.request;
    const check = this.dialog.receiveRequest(req);
    if (!check.accept) {
      this.core.reject(tx, check.status, check.reason);
      return;
    }
    switch (req.method) {
      case 'BYE':
        this.core.respond(tx, 200);
        this.#end({ by: 'remote', request: req }, false);
        return;
      case 'PRACK':
        if (this.prackHandler) this.prackHandler(tx);
        else this.core.reject(tx, 481, 'no reliable provisional outstanding');
        return;
      case 'UPDATE':
        this.#incomingUpdate(tx);
        return;
      case 'INVITE':
        this.#incomingReinvite(tx);
        return;
      case 'INFO':
      case 'OPTIONS':
        this.handlers.onRequest?.(req);
        this.core.respond(tx, 200);
        return;
      default:
        this.core.reject(tx, 405, `${req.method} not served in a session`, [['Allow', this.core.allow.join(', ')]]);
    }
  }

  receiveAck(ack: SipRequest): void {
    if (this.ackHandler) this.ackHandler(ack);
    else if (this.#reinviteIn) this.#reinviteIn = false;
  }

  /** the answer to an offer, or the refusal the application chose */
  #answer(req: SipRequest): Body | { reject: number } {
    if (!this.handlers.onOffer) return { reject: 488 };
    return this.handlers.onOffer(req);
  }

  /** Session-Expires for the 2xx of a refresh from the peer (RFC 4028 9) */
  #timerHeaders(req: SipRequest): { headers: Array<[string, string | number]>; agreement?: SessionTimerAgreement; reject?: number; minSE?: number } {
    const cfg = this.core.sessionTimer;
    // RFC 4028 9: a refresh without Session-Expires while a timer runs is still answered with
    // one (we keep the session timed, as refresher if the peer does not support timers)
    if (!cfg || (!req.headers.has('Session-Expires') && !this.timer.agreement)) return { headers: [] };
    const d = uasDecide(req, cfg);
    if (d.kind === 'reject') return { headers: [['Min-SE', d.minSE]], reject: 422 };
    return { headers: d.headers, ...(d.agreement ? { agreement: d.agreement } : {}) };
  }

  #incomingUpdate(tx: ServerTransaction): void {
    const req = tx.request;
    const offer = bodyOf(req);
    const st = this.#timerHeaders(req);
    if (st.reject) {
      this.core.reject(tx, st.reject, 'session interval too small', st.headers);
      return;
    }
    let answer: Body | undefined;
    if (offer !== undefined) {
      // RFC 3311 5.2: 491 on glare, 500 + Retry-After while we owe an answer
      const check = this.offerAnswer.receiveUpdateOffer(this.core.random);
      if (!check.accept) {
        const headers: Array<[string, string | number]> = check.status === 500 ? [['Retry-After', check.retryAfter]] : [];
        this.core.reject(tx, check.status, `UPDATE offer while ${this.offerAnswer.state}`, headers);
        return;
      }
      const a = this.#answer(req);
      if ('reject' in a) {
        this.offerAnswer.remoteOfferRejected();
        this.core.reject(tx, a.reject, 'offer refused by the application');
        return;
      }
      this.offerAnswer.localAnswer();
      this.localSdp = a.body;
      answer = a;
    }
    this.notePeer(req);
    const res = this.#ok(tx, st.headers, answer);
    tx.respond(res);
    if (st.agreement) this.timer.start(st.agreement, 'uas');
  }

  #incomingReinvite(tx: ServerTransaction): void {
    const req = tx.request;
    if (tx.kind !== 'invite') return;
    // RFC 3261 14.2: a re-INVITE while ours is pending, or while the peer's is, gets 491 / 500
    if (this.#reinviteOut) {
      this.core.reject(tx, 491, 're-INVITE glare');
      return;
    }
    if (this.#reinviteIn) {
      this.core.reject(tx, 500, 'previous re-INVITE still in progress', [['Retry-After', this.core.random.int(0, 10)]]);
      return;
    }
    const st = this.#timerHeaders(req);
    if (st.reject) {
      this.core.reject(tx, st.reject, 'session interval too small', st.headers);
      return;
    }
    const offer = bodyOf(req);
    let answer: Body | undefined;
    if (offer !== undefined) {
      if (!this.offerAnswer.mayOffer()) {
        this.core.reject(tx, this.offerAnswer.state === 'local-offer' ? 491 : 500, `re-INVITE offer while ${this.offerAnswer.state}`);
        return;
      }
      this.offerAnswer.remoteOffer();
      const a = this.#answer(req);
      if ('reject' in a) {
        this.offerAnswer.remoteOfferRejected();
        this.core.reject(tx, a.reject, 'offer refused by the application');
        return;
      }
      this.offerAnswer.localAnswer();
      answer = a;
    } else if (this.localSdp !== undefined) {
      // RFC 3261 14.2: an INVITE without offer gets our offer in the 2xx (the answer comes in the ACK)
      answer = { body: this.localSdp };
    }
    if (answer) this.localSdp = answer.body;
    this.notePeer(req);
    this.#reinviteIn = true;
    const res = this.#ok(tx, st.headers, answer);
    this.core.layer.respond2xx(tx, res, {
      onAckTimeout: () => this.#end({ by: 'no-ack' }, true),
      onAck: () => {
        this.#reinviteIn = false;
      },
    });
    if (st.agreement) this.timer.start(st.agreement, 'uas');
  }

  #ok(tx: ServerTransaction, headers: Array<[string, string | number]>, body?: Body): SipResponse {
    const res = this.core.respondLater(tx, 200);
    res.contacts = [this.core.contact];
    for (const [n, v] of headers) res.headers.append(n, v);
    this.core.decorate(res);
    if (body) {
      res.body = Buffer.from(body.body, 'utf8');
      res.headers.set('Content-Type', body.contentType ?? SDP);
    }
    return res;
  }

  /** end the session: timers off, dialog gone; `sendBye` for endings we decide on */
  end(cause: TerminationCause): void {
    this.#end(cause, false);
  }

  #end(cause: TerminationCause, sendBye: boolean): void {
    if (this.#ended) return;
    if (sendBye && this.dialog.state !== 'terminated') {
      const bye = this.dialog.createRequest('BYE');
      this.core.sendRequest(bye, {});
    }
    this.#ended = true;
    this.timer.stop();
    this.dialog.terminate();
    this.core.unregisterDialog(this.dialog);
    this.handlers.onTerminated?.(cause);
  }

  close(): void {
    this.timer.stop();
  }

  get ended(): boolean {
    return this.#ended;
  }
}
